import { useState } from "preact/hooks";
import { rpc } from "../api.js";
import { Badge, Loading } from "../components/status.js";
import { useRpc } from "../components/use-rpc.js";
import { enumName, when } from "../format.js";
import { html } from "../html.js";

/** Auth profiles with their health, and connecting a provider API key (checked live, stored in the vault). */
export function AuthPage() {
  const profiles = useRpc("AuthProfileService/GetAuthHealth");
  const [message, setMessage] = useState("");
  const connect = async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const field = (name) => form.elements[name].value;
    try {
      const answer = await rpc("AuthProfileService/ConnectApiKey", {
        profileId: field("profileId"),
        providerKind: field("providerKind"),
        baseUrl: field("baseUrl"),
        agentId: field("agentId"),
        apiKey: field("apiKey"),
      });
      setMessage(`Connected ${answer.profile?.profileId}: ${answer.modelCount} models`);
      form.reset();
    } catch (error) {
      setMessage(error.message);
    }
    profiles.reload();
  };
  return html`
    <h1>Auth</h1>
    <${Loading} state=${profiles}>
      <table>
        <thead><tr><th>Profile</th><th>Provider kind</th><th>Scope</th><th>Credential</th><th>Health</th><th>Updated</th></tr></thead>
        <tbody>${(profiles.data?.profiles ?? []).map(
          (
            profile,
          ) => html`<tr><td>${profile.profileId}</td><td>${profile.providerKind}</td><td>${enumName(profile.scope, "PROFILE_SCOPE_")} ${profile.agentId}</td>
            <td>${profile.oauth ? "OAuth" : "API key"}</td><td><${Badge} text=${enumName(profile.health?.state, "PROFILE_HEALTH_STATE_")} /> <span class="muted">${profile.health?.reason}</span></td>
            <td>${when(profile.updatedAt)}</td></tr>`,
        )}</tbody>
      </table>
    <//>
    <h2>Connect an API key</h2>
    <form class="inline" onSubmit=${connect}>
      <input name="profileId" placeholder="profile id" required />
      <select name="providerKind"><option value="openai_compatible">openai_compatible</option><option value="anthropic">anthropic</option></select>
      <input name="baseUrl" placeholder="base URL (optional)" />
      <input name="agentId" placeholder="agent (empty: global)" />
      <input name="apiKey" type="password" placeholder="API key" autocomplete="off" required />
      <button type="submit">Connect</button>
    </form>
    ${message && html`<p class="notice" role="status">${message}</p>`}
  `;
}
