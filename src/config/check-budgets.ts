import { isTimeZone } from "../governance/budgets/budget-interval.js";
import { policyFromConfig, policyProblems } from "../governance/budgets/budget-policy.js";
import { ConfigError } from "./config-error.js";
import type { GatewayConfig } from "./schema.js";

/** [usage] rules for budgets zod cannot express: a known time zone, unique policy ids, coherent limits and scopes. */
export function checkBudgets(config: GatewayConfig, source: string): void {
  const { timezone, budgets } = config.usage;
  if (!isTimeZone(timezone)) throw new ConfigError(source, "usage.timezone", `"${timezone}" is not an IANA time zone (such as "UTC" or "Europe/Berlin")`);
  const seen = new Set<string>();
  budgets.forEach((budget, index) => {
    const key = `usage.budgets[${index}]`;
    if (seen.has(budget.policy_id)) throw new ConfigError(source, `${key}.policy_id`, `duplicate policy_id "${budget.policy_id}"`);
    seen.add(budget.policy_id);
    const problem = policyProblems(policyFromConfig(budget))[0];
    if (problem !== undefined) throw new ConfigError(source, `${key}.${problem.field}`, problem.message);
  });
}
