import { clip } from "./clip.js";
import { GatewayError } from "./errors.js";
import { redactSecrets } from "./redact-secrets.js";

/** The longest upstream error text passed on to callers and logs. */
export const maxUpstreamMessageLength = 500;

// Shapes that look like credentials in upstream error text, and what replaces them.
const secretPatterns: [RegExp, string][] = [
  [/\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi, "$1 <redacted>"],
  // Provider keys: sk-…, sk-proj-…, sk-ant-…, and their publishable/restricted cousins.
  [/\b(?:sk|pk|rk|ak)-[A-Za-z0-9_-]{8,}/g, "<redacted>"],
  [/\b(x-api-key|api[_-]?key|access[_-]?token|refresh[_-]?token|client[_-]?secret|password|secret)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi, "$1$2<redacted>"],
  // JSON Web Tokens.
  [/\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, "<redacted>"],
];

/** Removes anything that looks like a credential and caps the length, before text leaves the provider. */
export function sanitizeUpstreamText(text: string): string {
  let clean = text.replace(/\s+/g, " ").trim();
  for (const [pattern, replacement] of secretPatterns) clean = clean.replace(pattern, replacement);
  return clip(clean, maxUpstreamMessageLength);
}

/**
 * The error an upstream call failed with, with the credential it used removed from the message in any
 * form the upstream may have echoed it (verbatim, encoded, inside a base64 blob). Runs where the key
 * is known, around every call a provider makes with it.
 */
export function withoutCredential(error: unknown, credential: string | undefined): unknown {
  if (!(error instanceof GatewayError) || credential === undefined) return error;
  const message = redactSecrets(error.message, [credential]);
  if (message === error.message) return error;
  // The cause goes too: it may hold the same text.
  return new GatewayError(error.kind, message, {
    ...(error.param !== undefined && { param: error.param }),
    ...(error.code !== undefined && { code: error.code }),
    ...(error.retryAfterMs !== undefined && { retryAfterMs: error.retryAfterMs }),
  });
}
