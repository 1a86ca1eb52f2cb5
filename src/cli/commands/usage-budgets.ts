import { type Command, InvalidArgumentError, Option } from "commander";
import {
  BudgetAction,
  type BudgetAlert,
  BudgetIntervalKind,
  BudgetMetricKind,
  type BudgetPolicy,
  BudgetScopeKind,
  budgetActionToJSON,
  budgetIntervalKindToJSON,
  budgetMetricKindToJSON,
  budgetScopeKindToJSON,
  type DeleteBudgetPolicyResponse,
  type ListAlertsResponse,
  type ListBudgetPoliciesResponse,
  type SetBudgetPolicyResponse,
} from "../../../gen/grpc-js/palyra/gateway/v1/usage.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine } from "../output.js";

interface SetFlags extends ClientFlags {
  scope: string;
  scopeId?: string;
  metric: string;
  interval: string;
  soft?: number;
  hard?: number;
  action: string;
  disabled?: boolean;
}

interface AlertListFlags extends ClientFlags {
  policy?: string;
}

const scopeKinds: Record<string, BudgetScopeKind> = {
  global: BudgetScopeKind.BUDGET_SCOPE_KIND_GLOBAL,
  agent: BudgetScopeKind.BUDGET_SCOPE_KIND_AGENT,
  session: BudgetScopeKind.BUDGET_SCOPE_KIND_SESSION,
  user: BudgetScopeKind.BUDGET_SCOPE_KIND_USER,
  api_key: BudgetScopeKind.BUDGET_SCOPE_KIND_API_KEY,
};
const metricKinds: Record<string, BudgetMetricKind> = {
  tokens: BudgetMetricKind.BUDGET_METRIC_KIND_TOKENS,
  usd_cost: BudgetMetricKind.BUDGET_METRIC_KIND_USD_COST,
};
const intervalKinds: Record<string, BudgetIntervalKind> = {
  daily: BudgetIntervalKind.BUDGET_INTERVAL_KIND_DAILY,
  weekly: BudgetIntervalKind.BUDGET_INTERVAL_KIND_WEEKLY,
  monthly: BudgetIntervalKind.BUDGET_INTERVAL_KIND_MONTHLY,
};
const actions: Record<string, BudgetAction> = {
  block: BudgetAction.BUDGET_ACTION_BLOCK,
  require_approval: BudgetAction.BUDGET_ACTION_REQUIRE_APPROVAL,
  alert_only: BudgetAction.BUDGET_ACTION_ALERT_ONLY,
};

/**
 * palyra usage budgets list | set | remove | alerts, and palyra usage approvals list | approve | deny: the
 * budget half of UsageService. Called by registerUsageCommand with the `usage` command.
 */
export function registerUsageBudgetCommands(usage: Command): void {
  const budgets = usage.command("budgets").description("budget policies: token or USD limits per day, week or month, per scope");

  addClientFlags(budgets.command("list").description("list the policies in force and where each stands this interval")).action(async (flags: ClientFlags) => {
    const response = await withDaemon(flags, (clients) => {
      const client = clients.usage();
      return callUnary<ListBudgetPoliciesResponse>((done) => client.listBudgetPolicies({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson({ policies: response.policies.map(policyJson) });
    if (response.policies.length === 0) return printLine("no budget policies (add [[usage.budgets]] to the config, or use `palyra usage budgets set`)");
    const headers = ["id", "source", "scope", "metric", "interval", "soft", "hard", "action", "enabled", "consumed", "reserved", "remaining", "interval ends"];
    printLine(formatTable(headers, response.policies.map(policyRow)));
  });

  addClientFlags(budgets.command("set").description("create or replace a runtime policy (a config policy's id overrides it until removed)"))
    .argument("<policy-id>", "the policy's id")
    .addOption(new Option("--scope <kind>", "what the policy limits").choices(Object.keys(scopeKinds)).default("global"))
    .option("--scope-id <id>", "the agent, session, user or API key id (not for global)")
    .addOption(new Option("--metric <kind>", "what is counted").choices(Object.keys(metricKinds)).makeOptionMandatory())
    .addOption(
      new Option("--interval <kind>", "calendar interval in usage.timezone (weeks start on Monday)").choices(Object.keys(intervalKinds)).makeOptionMandatory(),
    )
    .option("--soft <value>", "alert once per interval at this much (default: no soft limit)", nonNegativeNumber)
    .option("--hard <value>", "refuse requests whose worst case would pass this (default: no hard limit)", nonNegativeNumber)
    .addOption(new Option("--action <action>", "what happens at the hard limit").choices(Object.keys(actions)).default("block"))
    .option("--disabled", "store the policy switched off")
    .action(async (policyId: string, flags: SetFlags) => {
      const policy: BudgetPolicy = {
        policyId,
        scopeKind: scopeKinds[flags.scope] ?? BudgetScopeKind.BUDGET_SCOPE_KIND_UNSPECIFIED,
        scopeId: flags.scopeId ?? "",
        metricKind: metricKinds[flags.metric] ?? BudgetMetricKind.BUDGET_METRIC_KIND_UNSPECIFIED,
        intervalKind: intervalKinds[flags.interval] ?? BudgetIntervalKind.BUDGET_INTERVAL_KIND_UNSPECIFIED,
        softLimitValue: flags.soft ?? 0,
        hardLimitValue: flags.hard ?? 0,
        action: actions[flags.action] ?? BudgetAction.BUDGET_ACTION_UNSPECIFIED,
        enabled: !flags.disabled,
        source: "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<SetBudgetPolicyResponse>((done) => client.setBudgetPolicy({ policy }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ policy: response.policy && policyJson(response.policy) });
      if (response.policy !== undefined) printLine(`set ${describe(response.policy)}`);
    });

  addClientFlags(budgets.command("remove").description("remove a runtime policy (a config policy it overrode applies again)"))
    .argument("<policy-id>", "the policy's id")
    .action(async (policyId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<DeleteBudgetPolicyResponse>((done) => client.deleteBudgetPolicy({ policyId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ deleted: response.deleted });
      printLine(response.deleted ? `removed budget "${policyId}"` : `no runtime budget "${policyId}"`);
    });

  addClientFlags(budgets.command("alerts").description("list alerts: soft limits crossed, at most one per policy and interval, newest first"))
    .option("--policy <id>", "only this policy's alerts")
    .action(async (flags: AlertListFlags) => {
      const request = { policyId: flags.policy ?? "" };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<ListAlertsResponse>((done) => client.listAlerts(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ alerts: response.alerts.map(alertJson) });
      if (response.alerts.length === 0) return printLine("no alerts");
      printLine(
        formatTable(
          ["created", "policy", "interval start", "message"],
          response.alerts.map((alert) => [formatTime(alert.createdAt), alert.policyId, formatTime(alert.intervalStart), alert.message]),
        ),
      );
    });
}

function nonNegativeNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError("must be a number ≥ 0");
  return parsed;
}

const scopeLabel = (policy: BudgetPolicy) => enumLabel(budgetScopeKindToJSON(policy.scopeKind), "BUDGET_SCOPE_KIND_");
const metricLabel = (policy: BudgetPolicy) => enumLabel(budgetMetricKindToJSON(policy.metricKind), "BUDGET_METRIC_KIND_");
const intervalLabel = (policy: BudgetPolicy) => enumLabel(budgetIntervalKindToJSON(policy.intervalKind), "BUDGET_INTERVAL_KIND_");
const actionLabel = (policy: BudgetPolicy) => enumLabel(budgetActionToJSON(policy.action), "BUDGET_ACTION_");

const periodOf: Record<string, string> = { daily: "day", weekly: "week", monthly: "month" };

function describe(policy: BudgetPolicy): string {
  const scope = policy.scopeId ? `${scopeLabel(policy)} ${policy.scopeId}` : scopeLabel(policy);
  const limits = [policy.softLimitValue && `soft ${policy.softLimitValue}`, policy.hardLimitValue && `hard ${policy.hardLimitValue}`]
    .filter(Boolean)
    .join(", ");
  return `budget "${policy.policyId}": ${metricLabel(policy)} per ${periodOf[intervalLabel(policy)] ?? intervalLabel(policy)} for ${scope}, ${limits}, ${actionLabel(policy)}${policy.enabled ? "" : " (disabled)"}`;
}

// --json keeps the API's field names, with enums as their short names, zeros printed and times in ISO 8601.
function policyJson(policy: BudgetPolicy): Record<string, unknown> {
  const standing = policy.standing;
  return {
    ...policy,
    scopeKind: scopeLabel(policy),
    metricKind: metricLabel(policy),
    intervalKind: intervalLabel(policy),
    action: actionLabel(policy),
    standing: standing && {
      intervalStart: standing.intervalStart?.toISOString(),
      intervalEnd: standing.intervalEnd?.toISOString(),
      consumed: standing.consumed,
      reserved: standing.reserved,
      // No hard limit: nothing to run out of (JSON has no Infinity).
      remaining: Number.isFinite(standing.remaining) ? standing.remaining : null,
    },
  };
}

function alertJson(alert: BudgetAlert): Record<string, unknown> {
  return { ...alert, intervalStart: alert.intervalStart?.toISOString(), createdAt: alert.createdAt?.toISOString() };
}

function amount(policy: BudgetPolicy, value: number): string {
  if (!Number.isFinite(value)) return "-";
  return metricLabel(policy) === "tokens" ? Math.round(value).toLocaleString("en-US") : `$${value.toFixed(4)}`;
}

function policyRow(policy: BudgetPolicy): string[] {
  const standing = policy.standing;
  return [
    policy.policyId,
    policy.source,
    policy.scopeId ? `${scopeLabel(policy)}:${policy.scopeId}` : scopeLabel(policy),
    metricLabel(policy),
    intervalLabel(policy),
    policy.softLimitValue ? amount(policy, policy.softLimitValue) : "-",
    policy.hardLimitValue ? amount(policy, policy.hardLimitValue) : "-",
    actionLabel(policy),
    policy.enabled ? "yes" : "no",
    standing ? amount(policy, standing.consumed) : "-",
    standing ? amount(policy, standing.reserved) : "-",
    standing ? amount(policy, standing.remaining) : "-",
    formatTime(standing?.intervalEnd),
  ];
}
