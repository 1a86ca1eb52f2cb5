import { readFileSync } from "node:fs";
import { countTokens } from "gpt-tokenizer";
import { describe, expect, it } from "vitest";
import type { ChatMessage, ToolDefinition } from "../../src/shared/model-types.js";
import {
  countPromptTokens,
  countTextTokens,
  countTextTokensUpTo,
  promptTokenCounter,
  promptTokensUpperBound,
  tokenizerSlices,
  truncateToTokens,
} from "../../src/shared/tokens.js";

const prose = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const plainText = { disallowedSpecial: new Set<string>() };

// Inputs that made the tokenizer quadratic: one pre-tokenized piece of 100 KB took seconds to minutes.
const unbroken: Record<string, string> = {
  letters: "x".repeat(200_000),
  cjk: "漢字仮名交じり文".repeat(25_000),
  whitespace: " ".repeat(200_000),
  newlines: "\n".repeat(200_000),
  punctuation: "!@#$%^&*()".repeat(20_000),
  emoji: "😀".repeat(100_000),
};

describe("tokenizer slices", () => {
  it("cover the text exactly, in slices of at most 512 characters, never splitting a surrogate pair", () => {
    for (const [name, text] of Object.entries({ prose, ...unbroken })) {
      const slices = [...tokenizerSlices(text)];
      expect(slices.join(""), name).toBe(text);
      expect(Math.max(...slices.map((slice) => slice.length)), name).toBeLessThanOrEqual(512);
      for (const slice of slices) {
        const last = slice.charCodeAt(slice.length - 1);
        expect(last >= 0xd800 && last <= 0xdbff, `${name} ends a slice in half a character`).toBe(false);
      }
    }
  });

  it("cut prose where the tokenizer's pieces break, so it counts exactly", () => {
    const text = prose.repeat(3);
    expect(countTextTokens(text)).toBe(countTokens(text, plainText));
  });
});

describe("token counting", () => {
  it("counts long unbroken text of every kind, at most one token per UTF-8 byte", () => {
    for (const [name, text] of Object.entries(unbroken)) {
      const tokens = countTextTokens(text);
      expect(tokens, name).toBeGreaterThan(0);
      expect(tokens, name).toBeLessThanOrEqual(Buffer.byteLength(text));
    }
  });

  it("stops at a limit", () => {
    expect(countTextTokensUpTo(prose, 10)).toBeUndefined();
    expect(countTextTokensUpTo("hello world", 10)).toBe(2);
  });

  it("gives way to other work while it counts a large prompt", async () => {
    const prompt = [{ role: "user" as const, parts: [{ type: "text" as const, text: prose.repeat(40) }] }];
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 0);
    let counted: number;
    try {
      counted = await countPromptTokens(prompt);
    } finally {
      clearInterval(ticker);
    }
    // Counting 1+ MB takes tens of milliseconds; timers could only run if the counter yielded between slices.
    expect(ticks).toBeGreaterThan(0);
    expect(counted).toBe(countTokens(prose.repeat(40), plainText) + 3 + 3);
  });

  it("counts a prompt once, on first use when small and up front when large", async () => {
    const small = [{ role: "user" as const, parts: [{ type: "text" as const, text: "hello world" }] }];
    const count = await promptTokenCounter(small, [{ name: "lookup", parametersJson: '{"type":"object"}' }]);
    expect(count()).toBe(await countPromptTokens(small, [{ name: "lookup", parametersJson: '{"type":"object"}' }]));
    const large = [{ role: "user" as const, parts: [{ type: "text" as const, text: unbroken.cjk ?? "" }] }];
    const largeCount = await promptTokenCounter(large);
    expect(largeCount()).toBe(await countPromptTokens(large));
  });
});

describe("a prompt's upper bound", () => {
  const text = (value: string) => ({ type: "text" as const, text: value });
  const prompts: Record<string, { messages: ChatMessage[]; tools?: ToolDefinition[] }> = {
    ascii: {
      messages: [
        { role: "system", parts: [text("You are terse.")] },
        { role: "user", parts: [text(prose)] },
      ],
    },
    cjk: { messages: [{ role: "user", parts: [text("漢字仮名交じり文、東京特許許可局。".repeat(300))] }] },
    emoji: { messages: [{ role: "user", parts: [text("👩‍👩‍👧‍👦🏳️‍🌈😀 ok ".repeat(300))] }] },
    "tool JSON": {
      messages: [
        { role: "user", parts: [text("what is the weather?")] },
        { role: "assistant", parts: [], toolCalls: [{ id: "c1", name: "weather", argumentsJson: '{"city":"Zürich","days":[1,2,3],"units":"metric"}' }] },
        { role: "tool", parts: [text('{"temp":[12.5,13.1],"sky":"☁️"}')], toolCallId: "c1" },
      ],
      tools: [
        {
          name: "weather",
          description: "Looks up the forecast",
          parametersJson: JSON.stringify({ type: "object", properties: { city: { type: "string" }, days: { type: "array", items: { type: "integer" } } } }),
        },
      ],
    },
    "special-token markers": { messages: [{ role: "user", parts: [text("<|endoftext|><|im_start|>".repeat(50))] }] },
    "an image and empty text": { messages: [{ role: "user", parts: [text(""), { type: "image", url: "https://images.test/cat.png" }] }] },
    "unbroken runs": { messages: Object.values(unbroken).map((value) => ({ role: "user" as const, parts: [text(value.slice(0, 20_000))] })) },
  };

  it("is never below the exact count, on every kind of text", async () => {
    for (const [name, { messages, tools = [] }] of Object.entries(prompts)) {
      const bound = promptTokensUpperBound(messages, tools);
      const counted = await countPromptTokens(messages, tools);
      expect(bound, name).toBeGreaterThanOrEqual(counted);
      const counter = await promptTokenCounter(messages, tools);
      expect(counter.upperBound, name).toBe(bound);
      expect(counter(), name).toBe(counted);
    }
  });
});

describe("truncateToTokens", () => {
  it("keeps exactly the first tokens, and says whether it cut", async () => {
    const cut = await truncateToTokens(prose, 50);
    expect(cut).toMatchObject({ tokens: 50, truncated: true });
    expect(prose.startsWith(cut.text)).toBe(true);
    expect(countTokens(cut.text, plainText)).toBe(50);
    expect(await truncateToTokens("hello world", 50)).toEqual({ text: "hello world", tokens: 2, truncated: false });
  });

  it("cuts unbroken text without reading all of it", async () => {
    const cut = await truncateToTokens(unbroken.letters ?? "", 100);
    expect(cut.truncated).toBe(true);
    expect(cut.tokens).toBe(100);
    expect(cut.text.length).toBeLessThan(2_000);
  });
});
