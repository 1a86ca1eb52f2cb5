import { isTimeZone } from "../shared/budget-interval.js";
import { policyFromConfig, policyProblems } from "../shared/budget-policy.js";
import type { ReportProblem } from "./config-error.js";
import type { GatewayConfig } from "./schema.js";

/** [usage] rules for budgets zod cannot express: a known time zone, unique policy ids, coherent limits and scopes. */
export function checkBudgets(config: GatewayConfig, report: ReportProblem): void {
  const { timezone, budgets } = config.usage;
  if (!isTimeZone(timezone)) report("usage.timezone", `"${timezone}" is not an IANA time zone (such as "UTC" or "Europe/Berlin")`);
  const seen = new Set<string>();
  budgets.forEach((budget, index) => {
    const key = `usage.budgets[${index}]`;
    if (seen.has(budget.policy_id)) report(`${key}.policy_id`, `duplicate policy_id "${budget.policy_id}"`);
    seen.add(budget.policy_id);
    for (const problem of policyProblems(policyFromConfig(budget))) report(`${key}.${problem.field}`, problem.message);
  });
}
