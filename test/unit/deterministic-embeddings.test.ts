import { describe, expect, it } from "vitest";
import { deterministicEmbeddings, ngramEmbedding } from "../../src/providers/deterministic/deterministic-extras.js";

function cosine(a: number[], b: number[]): number {
  return a.reduce((sum, value, index) => sum + value * (b[index] ?? 0), 0);
}

function norm(vector: number[]): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe("deterministic embeddings (hashed character trigrams)", () => {
  it("scores similar texts higher than unrelated ones", async () => {
    const { vectors } = await deterministicEmbeddings({
      upstreamModel: "det-embed",
      inputs: ["the cat sat on the warm mat", "a cat sat on the mat", "quarterly revenue forecast for 2027"],
      dimensions: 256,
    });
    const [cat, similar, unrelated] = vectors as [number[], number[], number[]];
    expect(cosine(cat, similar)).toBeGreaterThan(cosine(cat, unrelated) + 0.3);
  });

  it("keeps similar above unrelated at the default 16 dimensions over many pairs", () => {
    const pairs: [string, string, string][] = [
      ["deploy the staging server tonight", "deploy staging server tonight please", "grandma's apple pie recipe"],
      ["user prefers metric units", "the user prefers metric units", "invoice number 4471 was paid"],
      ["remember to water the plants", "water the plants, remember", "kubernetes pod eviction policy"],
    ];
    for (const [text, near, far] of pairs) {
      const [a, b, c] = [text, near, far].map((value) => ngramEmbedding(value, 16)) as [number[], number[], number[]];
      expect(cosine(a, b), `${text} / ${near}`).toBeGreaterThan(cosine(a, c));
    }
  });

  it("gives unit-length vectors of the requested (or default 16) dimensions", async () => {
    const { vectors } = await deterministicEmbeddings({ upstreamModel: "det-embed", inputs: ["hello", "x", "   ", "日本語のテキスト"] });
    for (const vector of vectors) {
      expect(vector).toHaveLength(16);
      expect(norm(vector)).toBeCloseTo(1, 10);
    }
  });

  it("is deterministic: equal texts embed equally, across calls", async () => {
    const first = await deterministicEmbeddings({ upstreamModel: "m", inputs: ["same text", "other"], dimensions: 64 });
    const second = await deterministicEmbeddings({ upstreamModel: "m", inputs: ["same text"], dimensions: 64 });
    expect(second.vectors[0]).toEqual(first.vectors[0]);
    expect(first.vectors[1]).not.toEqual(first.vectors[0]);
  });

  it("ignores case and runs of whitespace", () => {
    expect(ngramEmbedding("Hello   World", 32)).toEqual(ngramEmbedding("hello world", 32));
  });
});
