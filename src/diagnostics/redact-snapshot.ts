import { redactionMark, secretForms } from "../shared/redact-secrets.js";
import { redactUrl } from "../shared/redact-url.js";
import { sanitizeUpstreamText } from "../shared/sanitize-upstream.js";

// Known secrets shorter than this are not masked: masking them would cut ordinary words out of the
// snapshot, and a value this short protects nothing.
const minKnownSecretLength = 6;

// A URL in free text: scheme, then everything up to whitespace or a quote, less trailing punctuation.
const urlPattern = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]*[^\s"'<>`).,;:!?\]]/gi;

/**
 * The one redaction every string of a diagnostics snapshot passes through: known secret values in any
 * encoding, URL userinfo and query values, and whatever looks like a credential (bearer tokens,
 * provider keys, key=value secrets, JWTs) are replaced, and long text is clipped.
 */
export function redactText(text: string, knownSecrets: readonly string[]): string {
  return textRedactor(knownSecrets)(text);
}

/** redactText with the secrets' encoded forms worked out once, for the many strings of one snapshot. */
function textRedactor(knownSecrets: readonly string[]): (text: string) => string {
  const forms = knownSecrets
    .filter((secret) => secret.length >= minKnownSecretLength)
    .flatMap(secretForms)
    // Longest first, so a whole encoded secret goes before a shorter form inside it could.
    .sort((a, b) => b.length - a.length);
  return (text) => {
    // URLs first: a known secret in a query value then goes with the value, leaving one mark.
    let clean = text.replace(urlPattern, redactUrl);
    for (const form of forms) if (clean.includes(form)) clean = clean.split(form).join(redactionMark);
    return sanitizeUpstreamText(clean);
  };
}

/**
 * A copy of the snapshot with every string redacted: plain objects and arrays are walked, dates,
 * numbers, bigints and booleans kept. Walking everything, rather than picking fields, means a field
 * added later cannot skip the redaction.
 */
export function redactSnapshot<T>(snapshot: T, knownSecrets: readonly string[]): T {
  return redactValue(snapshot, textRedactor(knownSecrets)) as T;
}

function redactValue(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === "string") return redact(value);
  if (Array.isArray(value)) return value.map((inner) => redactValue(inner, redact));
  if (typeof value !== "object" || value === null || value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, redactValue(inner, redact)]));
}
