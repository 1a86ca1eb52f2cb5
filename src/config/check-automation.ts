import { isTimeZone } from "../shared/budget-interval.js";
import { cronProblem } from "../shared/cron-expression.js";
import type { ReportProblem } from "./config-error.js";
import type { GatewayConfig } from "./schema.js";

/** [automation] rules zod cannot express: known time zones, cron expressions croner accepts, unique job ids, models that exist. */
export function checkAutomation(config: GatewayConfig, report: ReportProblem): void {
  const { timezone, jobs } = config.automation;
  const defaultZoneKnown = isTimeZone(timezone);
  if (!defaultZoneKnown) report("automation.timezone", `"${timezone}" is not an IANA time zone (such as "UTC" or "Europe/Prague")`);
  const modelIds = new Set(config.model_provider.models.map((model) => model.model_id));
  const seen = new Set<string>();
  jobs.forEach((job, index) => {
    const key = `automation.jobs[${index}]`;
    if (seen.has(job.job_id)) report(`${key}.job_id`, `duplicate job_id "${job.job_id}"`);
    seen.add(job.job_id);
    if (job.timezone !== undefined && !isTimeZone(job.timezone)) {
      report(`${key}.timezone`, `"${job.timezone}" is not an IANA time zone (such as "UTC" or "Europe/Prague")`);
    } else if (job.cron !== undefined && (job.timezone !== undefined || defaultZoneKnown)) {
      const problem = cronProblem(job.cron, job.timezone ?? timezone);
      if (problem !== undefined) report(`${key}.cron`, problem);
    }
    if (job.timezone !== undefined && job.cron === undefined) report(`${key}.timezone`, "only applies to a cron schedule");
    if (job.model !== undefined && !modelIds.has(job.model)) report(`${key}.model`, `no model with model_id "${job.model}"`);
  });
}
