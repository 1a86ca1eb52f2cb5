import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { currentSession, signOut, whenSessionLost } from "./api.js";
import { html } from "./html.js";
import { AuthPage } from "./pages/auth.js";
import { AutomationPage } from "./pages/automation.js";
import { IncidentsPage } from "./pages/incidents.js";
import { KeysPage } from "./pages/keys.js";
import { OverviewPage } from "./pages/overview.js";
import { ProvidersPage } from "./pages/providers.js";
import { SignInPage } from "./pages/sign-in.js";
import { UsagePage } from "./pages/usage.js";

// One page per hash (#/usage), so a reload or a bookmark lands on the same page and the server serves one file.
const pages = [
  ["overview", "Overview", OverviewPage],
  ["providers", "Providers & models", ProvidersPage],
  ["usage", "Usage", UsagePage],
  ["automation", "Automation", AutomationPage],
  ["incidents", "Incidents", IncidentsPage],
  ["auth", "Auth", AuthPage],
  ["keys", "Keys", KeysPage],
];

function currentPage() {
  const name = location.hash.replace(/^#\/?/, "");
  return pages.find(([id]) => id === name) ?? pages[0];
}

function App() {
  const [session, setSession] = useState(null);
  const [page, setPage] = useState(currentPage);
  useEffect(() => {
    currentSession().then(
      (found) => setSession(found ?? false),
      () => setSession(false),
    );
    whenSessionLost(() => setSession(false));
    const onHash = () => setPage(currentPage());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);
  if (session === null) return html`<p class="muted">Loading…</p>`;
  if (session === false) return html`<${SignInPage} onSignedIn=${setSession} />`;
  const [id, , Page] = page;
  const leave = async () => {
    await signOut().catch(() => undefined);
    setSession(false);
  };
  return html`
    <header>
      <strong>Palyra</strong>
      <nav>${pages.map(([pageId, title]) => html`<a href=${`#/${pageId}`} class=${pageId === id ? "current" : ""}>${title}</a>`)}</nav>
      <button class="link" onClick=${leave}>Sign out</button>
    </header>
    <main data-page=${id}><${Page} /></main>
  `;
}

render(html`<${App} />`, document.getElementById("app"));
