import { useState } from "preact/hooks";
import { rpc } from "../api.js";
import { Badge, Loading } from "../components/status.js";
import { useRpc } from "../components/use-rpc.js";
import { when } from "../format.js";
import { html } from "../html.js";

const scopes = ["models.read", "chat.create", "embeddings.create", "audio.create", "cron.manage", "memory.read", "memory.write", "admin"];

/** Client API keys: create one (its secret is shown once), revoke one. */
export function KeysPage() {
  const keys = useRpc("ApiKeysService/ListApiKeys", { includeRevoked: true });
  const [created, setCreated] = useState(undefined);
  const [error, setError] = useState("");
  const create = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const chosen = scopes.filter((scope) => form.elements[`scope:${scope}`].checked);
    try {
      setCreated(await rpc("ApiKeysService/CreateApiKey", { name: form.elements.name.value, agentId: form.elements.agentId.value, scopes: chosen }));
      setError("");
      form.reset();
    } catch (failure) {
      setError(failure.message);
    }
    keys.reload();
  };
  const revoke = async (keyId) => {
    try {
      await rpc("ApiKeysService/RevokeApiKey", { keyId });
      setError("");
    } catch (failure) {
      setError(failure.message);
    }
    keys.reload();
  };
  return html`
    <h1>Keys</h1>
    <form class="inline" onSubmit=${create}>
      <input name="name" placeholder="name" required />
      <input name="agentId" placeholder="agent (optional)" />
      ${scopes.map((scope) => html`<label class="check"><input type="checkbox" name=${`scope:${scope}`} checked=${scope === "chat.create" || scope === "models.read"} /> ${scope}</label>`)}
      <button type="submit">Create key</button>
    </form>
    ${created && html`<p class="notice" role="status">Key <strong>${created.key?.name}</strong> created. Its secret, shown only now: <code data-test="new-secret">${created.secret}</code></p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <${Loading} state=${keys}>
      <table data-test="keys">
        <thead><tr><th>Name</th><th>Key id</th><th>Prefix</th><th>Agent</th><th>Scopes</th><th>Created</th><th>Last used</th><th>State</th><th></th></tr></thead>
        <tbody>${(keys.data?.keys ?? []).map(
          (
            key,
          ) => html`<tr data-key=${key.name}><td>${key.name}</td><td><code>${key.keyId}</code></td><td><code>${key.prefix}</code></td><td>${key.agentId}</td>
            <td>${key.scopes.join(", ")}</td><td>${when(key.createdAt)}</td><td>${when(key.lastUsedAt)}</td>
            <td><${Badge} text=${key.revokedAt ? "revoked" : "active"} /></td>
            <td>${key.revokedAt ? null : html`<button class="danger" onClick=${() => revoke(key.keyId)}>Revoke</button>`}</td></tr>`,
        )}</tbody>
      </table>
    <//>
  `;
}
