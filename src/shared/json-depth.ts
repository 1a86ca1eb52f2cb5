/** How deeply JSON may nest in anything a caller sends: far beyond real tool schemas, far below a stack overflow. */
export const maxJsonDepth = 64;

const quote = 0x22;
const backslash = 0x5c;
const openBrace = 0x7b;
const openBracket = 0x5b;
const closeBrace = 0x7d;
const closeBracket = 0x5d;

/**
 * Whether JSON text (a string or its UTF-8 bytes) nests objects and arrays deeper than `limit`, found by
 * one linear scan before anything parses it. Parsing deep JSON is fine, but every recursive walk after
 * it (stringify, schema checks, translators) overflows the stack, so depth is refused at the door.
 * Malformed text is left to the parser to name. Two copies of one loop: a per-character callback made
 * the scan of a large body several times slower.
 */
export function jsonNestsDeeperThan(json: string | Uint8Array, limit = maxJsonDepth): boolean {
  return typeof json === "string" ? stringNestsDeeper(json, limit) : bytesNestDeeper(json, limit);
}

function bytesNestDeeper(json: Uint8Array, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < json.length; index++) {
    const code = json[index];
    if (code === quote) {
      // Skip the string: only an unescaped quote ends it.
      for (index++; index < json.length && json[index] !== quote; index++) if (json[index] === backslash) index++;
    } else if (code === openBrace || code === openBracket) {
      if (++depth > limit) return true;
    } else if (code === closeBrace || code === closeBracket) {
      depth--;
    }
  }
  return false;
}

function stringNestsDeeper(json: string, limit: number): boolean {
  let depth = 0;
  for (let index = 0; index < json.length; index++) {
    const code = json.charCodeAt(index);
    if (code === quote) {
      for (index++; index < json.length && json.charCodeAt(index) !== quote; index++) if (json.charCodeAt(index) === backslash) index++;
    } else if (code === openBrace || code === openBracket) {
      if (++depth > limit) return true;
    } else if (code === closeBrace || code === closeBracket) {
      depth--;
    }
  }
  return false;
}
