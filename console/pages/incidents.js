import { useState } from "preact/hooks";
import { Badge, Loading } from "../components/status.js";
import { useRpc } from "../components/use-rpc.js";
import { enumName, when } from "../format.js";
import { html } from "../html.js";

/** What self-healing found: open incidents first, resolved ones on request, with what was done about them. */
export function IncidentsPage() {
  const [includeResolved, setIncludeResolved] = useState(true);
  const incidents = useRpc("DiagnosticsService/ListIncidents", { includeResolved, limit: 200 });
  return html`
    <h1>Incidents</h1>
    <label><input type="checkbox" checked=${includeResolved} onChange=${(event) => setIncludeResolved(event.currentTarget.checked)} /> Include resolved</label>
    <${Loading} state=${incidents}>
      ${(incidents.data?.incidents ?? []).length === 0 ? html`<p class="muted">No incidents.</p>` : null}
      <table>
        <thead><tr><th>Severity</th><th>State</th><th>Kind</th><th>Object</th><th>Summary</th><th>Count</th><th>First seen</th><th>Last seen</th><th>Remediation</th></tr></thead>
        <tbody>${(incidents.data?.incidents ?? []).map(
          (
            incident,
          ) => html`<tr><td><${Badge} text=${enumName(incident.severity, "INCIDENT_SEVERITY_")} /></td><td><${Badge} text=${enumName(incident.state, "INCIDENT_STATE_")} /></td>
            <td>${incident.kind}</td><td>${incident.objectKind} ${incident.objectId}</td><td>${incident.summary}</td><td>${incident.count}</td>
            <td>${when(incident.firstSeenAt)}</td><td>${when(incident.lastSeenAt)}</td><td>${incident.remediation}</td></tr>`,
        )}</tbody>
      </table>
    <//>
  `;
}
