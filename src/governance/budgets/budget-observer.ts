/**
 * Told of every request budgets refused (the metrics implement it, above this layer; main.ts passes
 * it in). Called on the request path: cheap, no I/O, must not throw.
 */
export interface BudgetObserver {
  /** A block policy refused the request ("blocked"), or a require_approval policy held it for approval ("held"). */
  refused(policyId: string, outcome: "blocked" | "held"): void;
}
