import type { ServiceImpl } from "@connectrpc/connect";
import type { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";

/** The UsageService handlers, from the parts of governance they belong to. */
export type UsageHandlers = ServiceImpl<typeof UsageService>;
export type PricingHandlers = Pick<UsageHandlers, "setPricing" | "listPricing" | "getUsageSummary">;
export type BudgetHandlers = Pick<
  UsageHandlers,
  "setBudgetPolicy" | "listBudgetPolicies" | "deleteBudgetPolicy" | "listApprovals" | "decideApproval" | "listAlerts"
>;

export function createUsageService(pricing: PricingHandlers, budgets: BudgetHandlers): UsageHandlers {
  return { ...pricing, ...budgets };
}
