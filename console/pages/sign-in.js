import { useState } from "preact/hooks";
import { signIn } from "../api.js";
import { html } from "../html.js";

/** Exchanges the admin token for a session; the token itself is never kept by the page. */
export function SignInPage({ onSignedIn }) {
  const [error, setError] = useState("");
  const submit = async (event) => {
    event.preventDefault();
    const field = event.currentTarget.elements.token;
    try {
      onSignedIn(await signIn(field.value));
    } catch (failure) {
      setError(failure.message);
    }
    field.value = "";
  };
  return html`
    <form class="sign-in" onSubmit=${submit}>
      <h1>Palyra console</h1>
      <label>Admin token <input name="token" type="password" autocomplete="current-password" required /></label>
      <button type="submit">Sign in</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <p class="muted">The token is in <code>&lt;state-dir&gt;/admin-token</code> or <code>PALYRA_ADMIN_TOKEN</code>.</p>
    </form>
  `;
}
