import { html } from "../html.js";

/** A small coloured label: ok, degraded, down, or anything else as neutral. */
export function Badge({ text }) {
  const tone = /^(ok|closed|healthy|serving|succeeded|static|resolved|approved|active)$/.test(text)
    ? "good"
    : /^(degraded|half open|expiring|pending|running|queued|warning|remediating)$/.test(text)
      ? "warn"
      : /^(down|open|failed|expired|missing|refresh failed|critical|denied|revoked|unhealthy)$/.test(text)
        ? "bad"
        : "neutral";
  return html`<span class=${`badge ${tone}`}>${text}</span>`;
}

/** What a section shows while it loads or when its RPC failed. */
export function Loading({ state, children }) {
  if (state.error) return html`<p class="error" role="alert">${state.error.message}</p>`;
  if (state.data === undefined) return html`<p class="muted">Loading…</p>`;
  return children;
}

/** A percentage bar: consumed against a limit, with the soft limit marked. */
export function Progress({ value, limit, soft }) {
  const share = limit > 0 ? Math.min(1, value / limit) : 0;
  const tone = share >= 1 ? "bad" : soft > 0 && value >= soft ? "warn" : "good";
  return html`<div class="progress" role="progressbar" aria-valuenow=${Math.round(share * 100)} aria-valuemin="0" aria-valuemax="100">
    <div class=${`fill ${tone}`} style=${`width:${(share * 100).toFixed(1)}%`}></div>
    ${soft > 0 && limit > 0 ? html`<div class="soft" style=${`left:${Math.min(100, (soft / limit) * 100).toFixed(1)}%`}></div>` : null}
  </div>`;
}
