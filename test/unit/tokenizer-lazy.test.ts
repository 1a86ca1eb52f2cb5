import { describe, expect, it } from "vitest";
import { complexityOf } from "../../src/governance/routing/complexity.js";
import type { ResolvedModel } from "../../src/registry/model-registry.js";
import { checkContextWindow } from "../../src/runs/admission-checks.js";
import type { RunInput } from "../../src/shared/run-input.js";
import { tokenizerLoaded } from "../../src/shared/tokenizer-encoding.js";
import { promptTokenCounter } from "../../src/shared/tokens.js";

// Its own file: the tokenizer is loaded once per process (vitest gives each test file its own modules).
describe("the tokenizer", () => {
  it("is loaded only when a decision needs an exact count", async () => {
    const messages = [
      { role: "user" as const, parts: [{ type: "text" as const, text: "Summarize the attached report in three bullet points, please. ".repeat(20) }] },
    ];
    const input = { messages, tools: [], maxTokens: 100 } as unknown as RunInput;
    const roomy = { model: { modelId: "m", maxContextTokens: 128_000 } } as unknown as ResolvedModel;
    const tight = { model: { modelId: "m", maxContextTokens: 400 } } as unknown as ResolvedModel;
    const promptTokens = await promptTokenCounter(messages);
    expect(promptTokens.upperBound).toBeGreaterThan(1000);
    checkContextWindow(input, roomy, promptTokens);
    complexityOf(input);
    expect(tokenizerLoaded()).toBe(false);
    // Near the window the bound does not settle it: the prompt (about 250 tokens) is counted, and fits.
    checkContextWindow(input, tight, promptTokens);
    expect(tokenizerLoaded()).toBe(true);
    expect(promptTokens()).toBeLessThan(300);
  });
});
