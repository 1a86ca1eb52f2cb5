import { useState } from "preact/hooks";
import { rpc } from "../api.js";
import { Badge, Loading } from "../components/status.js";
import { useRpc } from "../components/use-rpc.js";
import { enumName, when } from "../format.js";
import { html } from "../html.js";

/** Providers' health and circuits, a live connection test each, the models, and how a prompt would route. */
export function ProvidersPage() {
  const status = useRpc("ModelsService/GetModelsStatus");
  const models = useRpc("ModelsService/ListModels", { includeDisabled: true });
  const [tests, setTests] = useState({});
  const test = async (providerId) => {
    setTests({ ...tests, [providerId]: { detail: "testing…" } });
    try {
      const { results } = await rpc("ModelsService/TestConnection", { providerId });
      setTests((previous) => ({ ...previous, [providerId]: results[0] }));
    } catch (error) {
      setTests((previous) => ({ ...previous, [providerId]: { detail: error.message } }));
    }
  };
  return html`
    <h1>Providers & models</h1>
    <${Loading} state=${status}>
      <table>
        <thead><tr><th>Provider</th><th>Kind</th><th>Health</th><th>Circuit</th><th>Models</th><th>Checked</th><th>Connection</th></tr></thead>
        <tbody>${(status.data?.providers ?? []).map((provider) => {
          const result = tests[provider.providerId];
          return html`<tr>
            <td>${provider.providerId}</td><td>${provider.kind}</td>
            <td><${Badge} text=${enumName(provider.health?.state, "HEALTH_STATE_")} /> <span class="muted">${provider.health?.detail}</span></td>
            <td><${Badge} text=${enumName(provider.circuit?.state, "CIRCUIT_STATE_")} /> ${provider.circuit?.consecutiveFailures ? `${provider.circuit.consecutiveFailures} failures` : ""}</td>
            <td>${provider.modelCount}</td><td>${when(provider.health?.checkedAt)}</td>
            <td><button onClick=${() => test(provider.providerId)}>Test connection</button>
              ${result && html` <span data-test="connection-result">${result.status ? enumName(result.status, "CONNECTION_STATUS_") : ""} ${result.latencyMs !== undefined ? `${result.latencyMs} ms` : ""} ${result.detail}</span>`}</td>
          </tr>`;
        })}</tbody>
      </table>
    <//>
    <h2>Models</h2>
    <${Loading} state=${models}>
      <table>
        <thead><tr><th>Model</th><th>Provider</th><th>Upstream</th><th>Role</th><th>Enabled</th><th>Context</th><th>Cost tier</th><th>Latency tier</th></tr></thead>
        <tbody>${(models.data?.models ?? []).map(
          (
            model,
          ) => html`<tr><td>${model.modelId}</td><td>${model.providerId}</td><td>${model.upstreamModel}</td><td>${enumName(model.role, "MODEL_ROLE_")}</td>
            <td>${model.enabled ? "yes" : "no"}</td><td>${model.maxContextTokens || ""}</td><td>${model.costTier}</td><td>${model.latencyTier}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    <${ExplainPrompt} />
  `;
}

/** ExplainRouting: which model a prompt would go to, and why each candidate was kept or not. */
function ExplainPrompt() {
  const [answer, setAnswer] = useState(undefined);
  const explain = async (event) => {
    event.preventDefault();
    const form = event.currentTarget.elements;
    const run = { model: form.model.value, messages: [{ role: "ROLE_USER", parts: [{ text: form.prompt.value }] }] };
    try {
      setAnswer(await rpc("ModelsService/ExplainRouting", { run }));
    } catch (error) {
      setAnswer({ error: error.message });
    }
  };
  return html`
    <h2>Explain a prompt</h2>
    <form class="inline" onSubmit=${explain}>
      <input name="model" placeholder="model (empty or auto: routing chooses)" />
      <textarea name="prompt" rows="3" placeholder="prompt" required></textarea>
      <button type="submit">Explain</button>
    </form>
    ${answer?.error && html`<p class="error" role="alert">${answer.error}</p>`}
    ${
      answer?.candidates &&
      html`<p data-test="explain-result">Requested <strong>${answer.requestedModel || "auto"}</strong>, selected <strong>${answer.selectedModel}</strong></p>
      <table>
        <thead><tr><th>#</th><th>Model</th><th>Provider</th><th>Kept</th><th>Reason</th></tr></thead>
        <tbody>${answer.candidates.map(
          (candidate) =>
            html`<tr><td>${candidate.order}</td><td>${candidate.modelId}</td><td>${candidate.providerId}</td><td>${candidate.kept ? "yes" : "no"}</td><td>${candidate.reason}</td></tr>`,
        )}</tbody>
      </table>`
    }
  `;
}
