import { describe, expect, it } from "vitest";
import {
  approvalIdIn,
  approvalRequiredError,
  budgetExceededError,
  formatAmount,
  judgeAdmission,
  type PolicyCheck,
  remainingOf,
} from "../../src/governance/budgets/budget-admission.js";
import { type BudgetPolicy, policyProblems } from "../../src/shared/budget-policy.js";

const policy = (overrides: Partial<BudgetPolicy> = {}): BudgetPolicy => ({
  policyId: "team-daily",
  scopeKind: "global",
  scopeId: "",
  metricKind: "usd_cost",
  intervalKind: "daily",
  softLimit: 0,
  hardLimit: 1,
  action: "block",
  enabled: true,
  source: "config",
  ...overrides,
});

const check = (overrides: Partial<PolicyCheck> & { policy?: BudgetPolicy } = {}): PolicyCheck => ({
  policy: policy(),
  interval: { start: 0, end: 86_400_000 },
  projected: 0.25,
  consumed: 0,
  reserved: 0,
  ...overrides,
});

describe("budget admission arithmetic", () => {
  it("admits while consumed + reserved + projected stays within the hard limit, exactly at it included", () => {
    expect(judgeAdmission([check({ consumed: 0.5, reserved: 0.25, projected: 0.25 })])).toEqual({ kind: "admit" });
    // 0.1 + 0.2 is 0.30000000000000004 in floating point; a request that fits exactly still fits.
    expect(judgeAdmission([check({ policy: policy({ hardLimit: 0.6 }), consumed: 0.1, reserved: 0.2, projected: 0.3 })])).toEqual({ kind: "admit" });
    const over = check({ consumed: 0.5, reserved: 0.25, projected: 0.2500001 });
    expect(judgeAdmission([over])).toEqual({ kind: "block", check: over });
  });

  it("counts reservations of runs in flight as spent", () => {
    const inFlight = check({ consumed: 0, reserved: 0.9, projected: 0.2 });
    expect(judgeAdmission([inFlight]).kind).toBe("block");
  });

  it("ignores policies without a hard limit, and alert_only policies", () => {
    expect(judgeAdmission([check({ policy: policy({ hardLimit: 0, softLimit: 0.1 }), consumed: 5 })]).kind).toBe("admit");
    expect(judgeAdmission([check({ policy: policy({ action: "alert_only" }), consumed: 5 })]).kind).toBe("admit");
  });

  it("lets block win over require_approval, and asks approval only for the policies over their limit", () => {
    const approval = check({ policy: policy({ policyId: "a", action: "require_approval" }), consumed: 1 });
    const blocking = check({ policy: policy({ policyId: "b" }), consumed: 1 });
    const fine = check({ policy: policy({ policyId: "c", action: "require_approval" }) });
    expect(judgeAdmission([approval, blocking, fine])).toEqual({ kind: "block", check: blocking });
    expect(judgeAdmission([approval, fine])).toEqual({ kind: "approval", checks: [approval] });
  });

  it("reports what remains, negative when over, unlimited without a hard limit", () => {
    expect(remainingOf(check({ consumed: 0.5, reserved: 0.2 }))).toBeCloseTo(0.3);
    expect(remainingOf(check({ consumed: 1.5 }))).toBeCloseTo(-0.5);
    expect(remainingOf(check({ policy: policy({ hardLimit: 0, softLimit: 1 }) }))).toBe(Number.POSITIVE_INFINITY);
  });

  it("names the policy, what remains and the worst case in the refusal, and when to retry", () => {
    const refused = check({ consumed: 0.9877, projected: 0.05, interval: { start: 0, end: 86_400_000 } });
    const error = budgetExceededError(refused, 86_400_000 - 5_000);
    expect(error.kind).toBe("budget_exceeded");
    expect(error.code).toBe("budget_exceeded");
    expect(error.param).toBeUndefined();
    expect(error.retryAfterMs).toBe(5_000);
    expect(error.message).toContain('budget "team-daily" (usd_cost, daily) allows $0.0123 more; this request could cost up to $0.0500');
    const tokens = check({ policy: policy({ metricKind: "tokens", hardLimit: 10_000 }), consumed: 9_000, projected: 4_096 });
    expect(budgetExceededError(tokens, 0).message).toContain("allows 1,000 tokens more; this request could use up to 4,096 tokens");
    const held = approvalRequiredError(check({ policy: policy({ action: "require_approval" }) }), "0b6c5a1e-1111-4222-8333-944445555666");
    expect(held.kind).toBe("approval_required");
    expect(approvalIdIn(held.message)).toBe("0b6c5a1e-1111-4222-8333-944445555666");
  });

  it("formats amounts for people", () => {
    expect(formatAmount("usd_cost", 12.5)).toBe("$12.50");
    expect(formatAmount("usd_cost", 0)).toBe("$0.0000");
    expect(formatAmount("usd_cost", 0.00002)).toBe("$0.0000200");
    expect(formatAmount("tokens", 1234567)).toBe("1,234,567 tokens");
  });
});

describe("budget policy rules", () => {
  it("names the field of each broken rule", () => {
    const fields = (overrides: Partial<BudgetPolicy>) => policyProblems(policy(overrides)).map((problem) => problem.field);
    expect(fields({})).toEqual([]);
    expect(fields({ policyId: "" })).toEqual(["policy_id"]);
    expect(fields({ scopeKind: "agent" })).toEqual(["scope_id"]);
    expect(fields({ scopeId: "x" })).toEqual(["scope_id"]);
    expect(fields({ hardLimit: 0 })).toEqual(["hard_limit_value"]);
    expect(fields({ softLimit: 2 })).toEqual(["soft_limit_value"]);
    expect(fields({ hardLimit: -1 })).toContain("hard_limit_value");
    expect(fields({ hardLimit: Number.NaN })).toContain("hard_limit_value");
    expect(fields({ action: "require_approval", hardLimit: 0, softLimit: 1 })).toEqual(["hard_limit_value"]);
  });
});
