import { useMemo, useState } from "preact/hooks";
import { rpc } from "../api.js";
import { Badge, Loading, Progress } from "../components/status.js";
import { TimeChart } from "../components/time-chart.js";
import { useRpc } from "../components/use-rpc.js";
import { count, enumName, hoursAgo, usd, when } from "../format.js";
import { html } from "../html.js";

const groupings = [
  ["USAGE_GROUP_BY_MODEL", "model"],
  ["USAGE_GROUP_BY_AGENT", "agent"],
  ["USAGE_GROUP_BY_API_KEY", "key"],
  ["USAGE_GROUP_BY_DAY", "day"],
];

/** Where usage went, where budgets stand, the alerts they raised, and the requests waiting for approval. */
export function UsagePage() {
  const [groupBy, setGroupBy] = useState("USAGE_GROUP_BY_MODEL");
  const [days, setDays] = useState(7);
  // The window is fixed when it is chosen: one computed on every render would reload forever.
  const since = useMemo(() => hoursAgo(days * 24), [days]);
  const summary = useRpc("UsageService/GetUsageSummary", { groupBy, since });
  const budgets = useRpc("UsageService/ListBudgetPolicies");
  const alerts = useRpc("UsageService/ListAlerts");
  return html`
    <h1>Usage</h1>
    <div class="toolbar">
      <label>Group by <select value=${groupBy} onChange=${(event) => setGroupBy(event.currentTarget.value)}>
        ${groupings.map(([value, name]) => html`<option value=${value}>${name}</option>`)}
      </select></label>
      <label>Last <select value=${days} onChange=${(event) => setDays(Number(event.currentTarget.value))}>
        ${[1, 7, 30, 90].map((value) => html`<option value=${value}>${value} days</option>`)}
      </select></label>
    </div>
    <${Loading} state=${summary}><${UsageReport} groupBy=${groupBy} summary=${summary.data} /><//>
    <h2>Budgets</h2>
    <${Loading} state=${budgets}>
      <table>
        <thead><tr><th>Policy</th><th>Scope</th><th>Interval</th><th>Action</th><th>Standing</th><th>Consumed</th><th>Hard limit</th></tr></thead>
        <tbody>${(budgets.data?.policies ?? []).map(
          (policy) => html`<tr><td>${policy.policyId}</td><td>${enumName(policy.scopeKind, "BUDGET_SCOPE_KIND_")} ${policy.scopeId}</td>
            <td>${enumName(policy.intervalKind, "BUDGET_INTERVAL_KIND_")}</td><td>${enumName(policy.action, "BUDGET_ACTION_")}</td>
            <td class="wide"><${Progress} value=${policy.standing?.consumed ?? 0} limit=${policy.hardLimitValue} soft=${policy.softLimitValue} /></td>
            <td>${(policy.standing?.consumed ?? 0).toFixed(4)}</td><td>${policy.hardLimitValue || "none"}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    <h2>Alerts</h2>
    <${Loading} state=${alerts}>
      ${(alerts.data?.alerts ?? []).length === 0 ? html`<p class="muted">No alerts.</p>` : null}
      <ul>${(alerts.data?.alerts ?? []).map((alert) => html`<li>${when(alert.createdAt)} <strong>${alert.policyId}</strong> ${alert.message}</li>`)}</ul>
    <//>
    <${Approvals} />
  `;
}

function UsageReport({ groupBy, summary }) {
  const rows = summary?.rows ?? [];
  // Days become a chart over time; other groupings compare with bars in the table.
  const points = useMemo(
    () => (groupBy === "USAGE_GROUP_BY_DAY" ? rows.map((row) => [Date.parse(`${row.key}T00:00:00Z`) / 1000, row.costUsd]) : []),
    [rows, groupBy],
  );
  const dearest = Math.max(0, ...rows.map((row) => row.costUsd));
  return html`
    ${points.length > 0 && html`<${TimeChart} title="Spend per day" label="USD" points=${points} bars=${true} format=${usd} />`}
    <table data-test="usage-report">
      <thead><tr><th>${groupings.find(([value]) => value === groupBy)?.[1]}</th><th>Runs</th><th>Errors</th><th>Input</th><th>Output</th><th>Cost</th><th></th></tr></thead>
      <tbody>${rows.map(
        (row) => html`<tr><td>${row.key || "(none)"}</td><td>${count(row.runs)}</td><td>${count(row.errors)}</td><td>${count(row.inputTokens)}</td>
          <td>${count(row.outputTokens)}</td><td>${usd(row.costUsd)}</td><td class="wide"><${Progress} value=${row.costUsd} limit=${dearest} soft=${0} /></td></tr>`,
      )}</tbody>
      <tfoot><tr><td>total</td><td>${count(summary?.total?.runs)}</td><td>${count(summary?.total?.errors)}</td><td>${count(summary?.total?.inputTokens)}</td>
        <td>${count(summary?.total?.outputTokens)}</td><td>${usd(summary?.total?.costUsd)}</td><td></td></tr></tfoot>
    </table>
  `;
}

/** Requests a require_approval budget held, to approve (the same request then passes once) or deny. */
function Approvals() {
  const approvals = useRpc("UsageService/ListApprovals", { pendingOnly: false });
  const [error, setError] = useState("");
  const decide = async (approvalId, approve) => {
    try {
      await rpc("UsageService/DecideApproval", { approvalId, approve, reason: approve ? "approved in the console" : "denied in the console" });
      setError("");
    } catch (failure) {
      setError(failure.message);
    }
    approvals.reload();
  };
  return html`
    <h2>Approvals</h2>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <${Loading} state=${approvals}>
      <table data-test="approvals">
        <thead><tr><th>Approval</th><th>Policy</th><th>Caller</th><th>Model</th><th>Projected</th><th>Asked</th><th>State</th><th></th></tr></thead>
        <tbody>${(approvals.data?.approvals ?? []).map((approval) => {
          const pending = approval.state === "APPROVAL_STATE_PENDING";
          return html`<tr data-approval=${approval.approvalId}><td><code>${approval.approvalId}</code></td><td>${approval.policyId}</td><td>${approval.callerId}</td>
            <td>${approval.modelId}</td><td>${approval.projectedValue.toFixed(4)}</td><td>${when(approval.createdAt)}</td>
            <td><${Badge} text=${enumName(approval.state, "APPROVAL_STATE_")} /></td>
            <td>${pending && html`<button onClick=${() => decide(approval.approvalId, true)}>Approve</button> <button class="danger" onClick=${() => decide(approval.approvalId, false)}>Deny</button>`}</td></tr>`;
        })}</tbody>
      </table>
    <//>
  `;
}
