import type { BudgetInterval } from "../../shared/budget-interval.js";
import { type BudgetMetricKind, type BudgetPolicy, describePolicy } from "../../shared/budget-policy.js";
import { GatewayError } from "../../shared/errors.js";

/** One applicable policy's figures for the current interval, and what a request would add. */
export interface PolicyCheck {
  policy: BudgetPolicy;
  interval: BudgetInterval;
  /** Tokens or USD by the policy's metric: the request's worst case. */
  projected: number;
  consumed: number;
  reserved: number;
}

export type AdmissionVerdict =
  | { kind: "admit" }
  /** A block policy would be exceeded: nothing lets the request through this interval. */
  | { kind: "block"; check: PolicyCheck }
  /** Only require_approval policies would be exceeded: an approved approval lets the request through. */
  | { kind: "approval"; checks: PolicyCheck[] };

// Sums of USD amounts carry rounding error; a request that fits exactly must not be refused for it.
const tolerance = 1e-9;

/** What the policy's hard limit still allows: hard − consumed − reserved (negative when over); Infinity without a hard limit. */
export function remainingOf(check: Pick<PolicyCheck, "policy" | "consumed" | "reserved">): number {
  return check.policy.hardLimit > 0 ? check.policy.hardLimit - check.consumed - check.reserved : Number.POSITIVE_INFINITY;
}

/** True when admitting the projection would take the policy past its hard limit. */
export function exceedsHardLimit(check: PolicyCheck): boolean {
  return check.policy.hardLimit > 0 && check.consumed + check.reserved + check.projected > check.policy.hardLimit + tolerance;
}

/**
 * Decides a request against every applicable policy: block policies win over require_approval ones,
 * and alert_only policies never refuse.
 */
export function judgeAdmission(checks: readonly PolicyCheck[]): AdmissionVerdict {
  const over = checks.filter((check) => check.policy.action !== "alert_only" && exceedsHardLimit(check));
  const blocking = over.find((check) => check.policy.action === "block");
  if (blocking !== undefined) return { kind: "block", check: blocking };
  if (over.length > 0) return { kind: "approval", checks: over };
  return { kind: "admit" };
}

/** "1,234 tokens" or "$0.0123". */
export function formatAmount(metric: BudgetMetricKind, value: number): string {
  if (metric === "tokens") return `${Math.round(value).toLocaleString("en-US")} tokens`;
  const size = Math.abs(value);
  // Cents for dollars; four decimals for cents; three significant digits below that.
  return `$${size >= 1 ? value.toFixed(2) : size >= 0.0001 || size === 0 ? value.toFixed(4) : value.toPrecision(3)}`;
}

/** `budget "x" (usd_cost, daily) allows $0.0123 more; this request could cost up to $0.0500` */
export function limitSentence(check: PolicyCheck): string {
  const metric = check.policy.metricKind;
  const remaining = Math.max(0, remainingOf(check));
  const verb = metric === "tokens" ? "use" : "cost";
  return `${describePolicy(check.policy)} allows ${formatAmount(metric, remaining)} more; this request could ${verb} up to ${formatAmount(metric, check.projected)}`;
}

/** A request refused by a block policy: 429 with code budget_exceeded, retry when the interval ends. */
export function budgetExceededError(check: PolicyCheck, now: number, note = ""): GatewayError {
  const ends = new Date(check.interval.end).toISOString();
  return new GatewayError("budget_exceeded", `${limitSentence(check)} (the ${check.policy.intervalKind} interval ends ${ends})${note}`, {
    code: "budget_exceeded",
    retryAfterMs: Math.max(0, check.interval.end - now),
  });
}

/**
 * A request held for approval: 409 with code approval_required. The approval id is in the message
 * as `approval_id=<id>` (errors carry no other field for it); present it as StartRun.approval_id or
 * the x-palyra-approval-id header once an operator approved it.
 */
export function approvalRequiredError(check: PolicyCheck, approvalId: string, note = ""): GatewayError {
  return new GatewayError("approval_required", `${limitSentence(check)}; an operator must approve it${note}: approval_id=${approvalId}`, {
    code: "approval_required",
    approvalId,
  });
}

/** Finds the approval id in an approval_required message. */
export function approvalIdIn(message: string): string | undefined {
  return /approval_id=([A-Za-z0-9-]+)/.exec(message)?.[1];
}
