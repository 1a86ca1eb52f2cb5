export const redactionMark = "<redacted>";

// Encoded forms of shorter strings would turn up in ordinary text; no credential is this short.
const minSecretLength = 8;
// A base64 core shorter than this could match by chance.
const minBase64CoreLength = 12;

/**
 * The forms in which a secret may come back in text an upstream wrote: as it is, URL-encoded, in hex,
 * and in base64 or base64url, standing alone or inside a longer encoded value (an echoed Authorization
 * header, a JSON blob). Inside a longer value the secret may start at any of three byte offsets of a
 * base64 group; for each, the characters that depend only on the secret's own bytes are its stable core.
 */
export function secretForms(secret: string): string[] {
  if (secret.length < minSecretLength) return secret === "" ? [] : [secret];
  const bytes = Buffer.from(secret, "utf8");
  const forms = new Set([secret, encodeURIComponent(secret), bytes.toString("hex"), bytes.toString("hex").toUpperCase()]);
  forms.add(bytes.toString("base64"));
  forms.add(bytes.toString("base64url"));
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString("base64");
    const total = offset + bytes.length;
    // The first group mixes in preceding bytes when offset > 0; the last one mixes in following bytes unless it is full.
    const core = encoded.slice(offset === 0 ? 0 : 4, Math.floor(total / 3) * 4);
    if (core.length < minBase64CoreLength) continue;
    forms.add(core);
    forms.add(core.replaceAll("+", "-").replaceAll("/", "_"));
  }
  // Longest first, so a whole encoded secret is replaced before its core could be.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every form of every secret in the text. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let clean = text;
  for (const secret of secrets) {
    if (secret === undefined) continue;
    for (const form of secretForms(secret)) if (clean.includes(form)) clean = clean.split(form).join(redactionMark);
  }
  return clean;
}
