import { useMemo, useState } from "preact/hooks";
import { Badge, Loading, Progress } from "../components/status.js";
import { hourlyPoints, TimeChart } from "../components/time-chart.js";
import { useRpc } from "../components/use-rpc.js";
import { count, enumName, startOfToday, usd } from "../format.js";
import { html } from "../html.js";

/** Is it healthy, what does it cost today, what ran this week, and what is wrong now. */
export function OverviewPage() {
  const [refreshed, setRefreshed] = useState(0);
  const health = useRpc("GatewayService/GetHealth", {}, refreshed);
  const today = useRpc("UsageService/GetUsageSummary", { since: startOfToday(), groupBy: "USAGE_GROUP_BY_MODEL" }, refreshed);
  // Both ends given: the hourly grouping covers at most 7 days, measured to the server's "now" otherwise.
  // One instant per refresh: a window computed on every render would change the request, and so reload, forever.
  const week = useRpc(
    "UsageService/GetUsageSummary",
    useMemo(() => lastWeek(), [refreshed]),
    refreshed,
  );
  const budgets = useRpc("UsageService/ListBudgetPolicies", {}, refreshed);
  const incidents = useRpc("DiagnosticsService/ListIncidents", { limit: 20 }, refreshed);
  return html`
    <div class="toolbar"><h1>Overview</h1><button onClick=${() => setRefreshed(refreshed + 1)}>Refresh</button></div>
    <section class="cards">
      <div class="card"><h2>Health</h2><${Loading} state=${health}>
        <p data-test="health"><${Badge} text=${health.data?.status ?? ""} /> ${health.data?.version}</p>
        ${(health.data?.reasons ?? []).map((reason) => html`<p class="muted">${reason}</p>`)}
      <//></div>
      <div class="card"><h2>Today</h2><${Loading} state=${today}>
        <p>Runs <strong data-test="runs-today">${count(today.data?.total?.runs)}</strong></p>
        <p>Spend <strong data-test="spend-today">${usd(today.data?.total?.costUsd)}</strong></p>
      <//></div>
      <div class="card"><h2>Budgets</h2><${Loading} state=${budgets}><${BudgetBars} policies=${budgets.data?.policies ?? []} /><//></div>
    </section>
    <${Loading} state=${week}><${WeekCharts} rows=${week.data?.rows ?? []} /><//>
    <section><h2>Open incidents</h2><${Loading} state=${incidents}><${OpenIncidents} incidents=${incidents.data?.incidents ?? []} /><//></section>
  `;
}

function lastWeek() {
  const now = Date.now();
  return { since: new Date(now - 7 * 24 * 3_600_000).toISOString(), until: new Date(now).toISOString(), groupBy: "USAGE_GROUP_BY_HOUR" };
}

function BudgetBars({ policies }) {
  if (policies.length === 0) return html`<p class="muted">No budgets.</p>`;
  return policies.map(
    (policy) => html`<div class="budget">
      <span>${policy.policyId} (${enumName(policy.intervalKind, "BUDGET_INTERVAL_KIND_")})</span>
      <${Progress} value=${policy.standing?.consumed ?? 0} limit=${policy.hardLimitValue} soft=${policy.softLimitValue} />
      <span class="muted">${formatMetric(policy, policy.standing?.consumed)} of ${formatMetric(policy, policy.hardLimitValue)}</span>
    </div>`,
  );
}

function formatMetric(policy, value) {
  return policy.metricKind === "BUDGET_METRIC_KIND_USD_COST" ? usd(value) : `${count(value)} tokens`;
}

function WeekCharts({ rows }) {
  const until = Date.now();
  const since = until - 7 * 24 * 3_600_000;
  const runs = useMemo(() => hourlyPoints(rows, since, until, (row) => Number(row.runs)), [rows]);
  const spend = useMemo(() => hourlyPoints(rows, since, until, (row) => row.costUsd), [rows]);
  return html`<section class="charts">
    <${TimeChart} title="Runs per hour, last 7 days" label="runs" points=${runs} bars=${true} />
    <${TimeChart} title="Spend per hour, last 7 days" label="USD" points=${spend} format=${usd} />
  </section>`;
}

function OpenIncidents({ incidents }) {
  const open = incidents.filter((incident) => incident.state !== "INCIDENT_STATE_RESOLVED");
  if (open.length === 0) return html`<p class="muted">None open.</p>`;
  return html`<ul>
    ${open.map((incident) => html`<li><${Badge} text=${enumName(incident.severity, "INCIDENT_SEVERITY_")} /> ${incident.summary}</li>`)}
  </ul>`;
}
