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
  return clean.length > maxUpstreamMessageLength ? `${clean.slice(0, maxUpstreamMessageLength)}…` : clean;
}
