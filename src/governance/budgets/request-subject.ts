import type { AdmissionRequest, BudgetQuery } from "../run-governance.js";
import type { ApprovalRequest } from "./budget-approvals.js";
import type { BudgetSubject } from "./budget-policies.js";

/** Who a request is for, in the terms budget scopes use. */
export function subjectOf(request: BudgetQuery): BudgetSubject {
  return {
    agentId: request.agentId,
    sessionId: request.sessionId,
    userId: request.userId,
    apiKeyId: request.caller.kind === "api_key" ? request.caller.id : undefined,
  };
}

/** What an approval is asked and later matched for. */
export function approvalRequestOf(request: AdmissionRequest): ApprovalRequest {
  return {
    callerId: request.caller.id,
    agentId: request.agentId,
    sessionId: request.sessionId,
    userId: request.userId,
    modelId: request.models[0]?.modelId ?? "",
    requestHash: request.requestHash(),
  };
}
