import { createRequire } from "node:module";

/** The part of gpt-tokenizer's o200k_base encoding the counters use. */
export interface TokenizerEncoding {
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
  decode(tokens: readonly number[]): string;
  setMergeCacheSize(size: number): void;
}

// The encoding's ranks are 2 MB of JavaScript that take about 70 MB of memory and, on a busy machine,
// seconds to load; most runs never need an exact count (byte bounds decide), so it is loaded on the
// first exact count, synchronously (the counters are synchronous), from the one encoding's entry point.
const requireModule = createRequire(import.meta.url);
const encodingModule = "gpt-tokenizer/encoding/o200k_base";

// The library keeps up to 100,000 merged pieces by default; a smaller cache keeps the memory bounded
// while the pieces that repeat (words, JSON keys) still hit it.
const mergeCacheSize = 10_000;

let loaded: TokenizerEncoding | undefined;

/** The o200k_base tokenizer, loaded on first use. */
export function tokenizer(): TokenizerEncoding {
  if (loaded === undefined) {
    loaded = requireModule(encodingModule) as TokenizerEncoding;
    loaded.setMergeCacheSize(mergeCacheSize);
  }
  return loaded;
}

/** Whether the tokenizer has been loaded (for memory figures and tests). */
export function tokenizerLoaded(): boolean {
  return loaded !== undefined;
}
