import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  ApprovalState,
  BudgetAction,
  BudgetIntervalKind,
  BudgetMetricKind,
  BudgetScopeKind,
  type Approval as ProtoApproval,
  type BudgetAlert as ProtoBudgetAlert,
  type BudgetPolicy as ProtoBudgetPolicy,
} from "../../../gen/es/palyra/gateway/v1/usage_pb.js";
import type { BudgetAlert, BudgetStanding } from "../../governance/budgets/budget-administration.js";
import type { Approval } from "../../governance/budgets/budget-approvals.js";
import type { BudgetPolicy } from "../../shared/budget-policy.js";
import { invalidRequest } from "../../shared/errors.js";

type Plain<T> = Omit<T, "$typeName">;

/** "BUDGET_SCOPE_KIND_API_KEY" (as the value 5) -> "api_key"; undefined for UNSPECIFIED or unknown values. */
function kindOf<K extends string>(names: Record<number, string>, value: number): K | undefined {
  const name = names[value];
  return name === undefined || name === "UNSPECIFIED" ? undefined : (name.toLowerCase() as K);
}

function enumOf<E extends number>(values: Record<string, string | number>, kind: string): E {
  return values[kind.toUpperCase()] as E;
}

/**
 * SetBudgetPolicy's policy as the core's policy. Unset enums are refused, naming the field; an unset
 * action means "block", as in the config. `enabled` is taken as sent (proto3: unset is false).
 */
export function budgetPolicyFromProto(policy: ProtoBudgetPolicy | undefined): BudgetPolicy {
  if (policy === undefined) throw invalidRequest("policy", "required");
  const required = <K extends string>(field: string, names: Record<number, string>, value: number, allowed: string): K => {
    const kind = kindOf<K>(names, value);
    if (kind === undefined) throw invalidRequest(`policy.${field}`, `required: one of ${allowed}`);
    return kind;
  };
  return {
    policyId: policy.policyId,
    scopeKind: required("scope_kind", BudgetScopeKind, policy.scopeKind, "global, agent, session, user, api_key"),
    scopeId: policy.scopeId,
    metricKind: required("metric_kind", BudgetMetricKind, policy.metricKind, "tokens, usd_cost"),
    intervalKind: required("interval_kind", BudgetIntervalKind, policy.intervalKind, "daily, weekly, monthly"),
    softLimit: policy.softLimitValue,
    hardLimit: policy.hardLimitValue,
    action: kindOf<BudgetPolicy["action"]>(BudgetAction, policy.action) ?? "block",
    enabled: policy.enabled,
    source: "runtime",
  };
}

export function budgetPolicyToProto(policy: BudgetPolicy & { standing?: BudgetStanding }): Plain<ProtoBudgetPolicy> {
  const { standing } = policy;
  return {
    policyId: policy.policyId,
    scopeKind: enumOf<BudgetScopeKind>(BudgetScopeKind, policy.scopeKind),
    scopeId: policy.scopeId,
    metricKind: enumOf<BudgetMetricKind>(BudgetMetricKind, policy.metricKind),
    intervalKind: enumOf<BudgetIntervalKind>(BudgetIntervalKind, policy.intervalKind),
    softLimitValue: policy.softLimit,
    hardLimitValue: policy.hardLimit,
    action: enumOf<BudgetAction>(BudgetAction, policy.action),
    enabled: policy.enabled,
    source: policy.source,
    ...(standing !== undefined && {
      standing: {
        $typeName: "palyra.gateway.v1.BudgetStanding",
        intervalStart: timestampFromMs(standing.interval.start),
        intervalEnd: timestampFromMs(standing.interval.end),
        consumed: standing.consumed,
        reserved: standing.reserved,
        // Infinity (no hard limit) is a valid double on the wire.
        remaining: standing.remaining,
      },
    }),
  };
}

export function approvalToProto(approval: Approval): Plain<ProtoApproval> {
  return {
    approvalId: approval.approvalId,
    policyId: approval.policyId,
    state: enumOf<ApprovalState>(ApprovalState, approval.state),
    callerId: approval.callerId,
    agentId: approval.agentId ?? "",
    sessionId: approval.sessionId ?? "",
    userId: approval.userId ?? "",
    modelId: approval.modelId,
    projectedValue: approval.projectedValue,
    createdAt: timestampFromMs(approval.createdAt),
    ...(approval.decidedAt !== undefined && { decidedAt: timestampFromMs(approval.decidedAt) }),
    reason: approval.reason ?? "",
    requestHash: approval.requestHash,
  };
}

export function budgetAlertToProto(alert: BudgetAlert): Plain<ProtoBudgetAlert> {
  return {
    alertId: alert.alertId,
    policyId: alert.policyId,
    intervalStart: timestampFromMs(alert.intervalStart),
    createdAt: timestampFromMs(alert.createdAt),
    consumed: alert.consumed,
    softLimitValue: alert.limit,
    message: alert.message,
  };
}
