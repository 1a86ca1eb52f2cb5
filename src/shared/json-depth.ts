/** How deeply JSON may nest in anything a caller sends: far beyond real tool schemas, far below a stack overflow. */
export const maxJsonDepth = 64;

const quote = 0x22;
const backslash = 0x5c;
const openers = new Set([0x7b, 0x5b]); // { [
const closers = new Set([0x7d, 0x5d]); // } ]

/**
 * Whether JSON text (a string or its UTF-8 bytes) nests objects and arrays deeper than `limit`, found by
 * one linear scan before anything parses it. Parsing deep JSON is fine, but every recursive walk after
 * it (stringify, schema checks, translators) overflows the stack, so depth is refused at the door.
 * Malformed text is left to the parser to name.
 */
export function jsonNestsDeeperThan(json: string | Uint8Array, limit = maxJsonDepth): boolean {
  const length = json.length;
  const codeAt = typeof json === "string" ? (index: number) => json.charCodeAt(index) : (index: number) => json[index] as number;
  let depth = 0;
  let inString = false;
  for (let index = 0; index < length; index++) {
    const code = codeAt(index);
    if (inString) {
      if (code === backslash) index++;
      else if (code === quote) inString = false;
    } else if (code === quote) {
      inString = true;
    } else if (openers.has(code)) {
      if (++depth > limit) return true;
    } else if (closers.has(code)) {
      depth--;
    }
  }
  return false;
}
