import type { ReportProblem } from "./config-error.js";
import type { GatewayConfig } from "./schema.js";

/** [[usage.pricing]] rules zod cannot express: each price is for a configured model, once per moment. */
export function checkPricing(config: GatewayConfig, report: ReportProblem): void {
  const modelIds = new Set(config.model_provider.models.map((model) => model.model_id));
  const seen = new Set<string>();
  config.usage.pricing.forEach((price, index) => {
    const key = `usage.pricing[${index}]`;
    // A price for a model that is not configured would never apply: most likely a typo.
    if (!modelIds.has(price.model_id)) report(`${key}.model_id`, `no model with model_id "${price.model_id}"`);
    const moment = price.effective_from === undefined ? "always" : Date.parse(price.effective_from);
    const id = `${price.model_id}\u0000${moment}`;
    if (seen.has(id)) {
      const from = price.effective_from === undefined ? "without effective_from" : `effective from ${price.effective_from}`;
      report(key, `a second price for "${price.model_id}" ${from}`);
    }
    seen.add(id);
  });
}
