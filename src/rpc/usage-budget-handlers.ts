import type { BudgetAdministration } from "../governance/budgets/budget-administration.js";
import { approvalToProto, budgetAlertToProto, budgetPolicyFromProto, budgetPolicyToProto } from "./convert/budgets-to-proto.js";
import type { BudgetHandlers } from "./usage-service.js";

/** UsageService's budget RPCs: policies with their standing, approvals, alerts (admin only, see procedure-scopes.ts). */
export function createBudgetHandlers(deps: { budgets: BudgetAdministration }): BudgetHandlers {
  const { budgets } = deps;
  return {
    async setBudgetPolicy(request) {
      return { policy: budgetPolicyToProto(await budgets.setPolicy(budgetPolicyFromProto(request.policy))) };
    },

    async listBudgetPolicies() {
      return { policies: (await budgets.listPolicies()).map(budgetPolicyToProto) };
    },

    async deleteBudgetPolicy(request) {
      return { deleted: await budgets.deletePolicy(request.policyId) };
    },

    async listApprovals(request) {
      return { approvals: (await budgets.listApprovals({ pendingOnly: request.pendingOnly })).map(approvalToProto) };
    },

    async decideApproval(request) {
      return { approval: approvalToProto(await budgets.decideApproval({ approvalId: request.approvalId, approve: request.approve, reason: request.reason })) };
    },

    async listAlerts(request) {
      return { alerts: (await budgets.listAlerts(request.policyId)).map(budgetAlertToProto) };
    },
  };
}
