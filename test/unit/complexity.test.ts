import { describe, expect, it, vi } from "vitest";
import { type ComplexityInput, complexityOf, complexityWeights } from "../../src/governance/routing/complexity.js";
import type { ChatMessage, ContentPart, ToolDefinition } from "../../src/shared/model-types.js";

// Counts every use of the tokenizer, so the test can tell scoring never needs it.
const tokenizer = vi.hoisted(() => ({ uses: 0 }));
vi.mock("../../src/shared/tokenizer-encoding.js", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../src/shared/tokenizer-encoding.js")>();
  return {
    ...actual,
    tokenizer: () => {
      tokenizer.uses++;
      return actual.tokenizer();
    },
  };
});

const image: ContentPart = { type: "image", url: "https://images.test/cat.png" };
const user = (text: string, ...extra: ContentPart[]): ChatMessage => ({ role: "user", parts: [{ type: "text", text }, ...extra] });
const tool = (name: string): ToolDefinition => ({ name, description: `the ${name} tool`, parametersJson: '{"type":"object"}' });
const request = (messages: ChatMessage[], extra: Partial<ComplexityInput> = {}): ComplexityInput => ({ messages, tools: [], ...extra });

const analysis = [
  "We are choosing a storage engine for an event-sourced billing system and need a careful answer.",
  "1. Analyze the write amplification of LSM trees versus B-trees under our workload of 40k appends per second.",
  "2. Compare PostgreSQL, FoundationDB and RocksDB on consistency guarantees, operational cost and failure recovery.",
  "3. Derive the expected compaction cost step by step, and explain why it grows with the number of levels.",
  "4. Evaluate the trade-offs of sharding by customer versus by time, with the risks of each.",
  "Which option would you pick? What would make you change your mind? How should we test the decision?",
  "Here is the current schema:",
  "```sql\nCREATE TABLE events (id bigserial primary key, customer_id bigint, payload jsonb, created_at timestamptz);\n```",
  "And the append path:",
  "```ts\nawait db.insertInto('events').values(batch).execute();\n```",
].join("\n");

/** The same request with one more signal added, for each kind of signal. */
const additions: Record<string, (input: ComplexityInput) => ComplexityInput> = {
  image: (input) => ({
    ...input,
    messages: [...input.messages.slice(0, -1), { ...(input.messages.at(-1) as ChatMessage), parts: [...(input.messages.at(-1)?.parts ?? []), image] }],
  }),
  tool: (input) => ({ ...input, tools: [...input.tools, tool(`tool_${input.tools.length}`)] }),
  "reasoning words": (input) => ({ ...input, messages: [...input.messages, user("Think carefully, prove it, and explain why, step by step.")] }),
  "a turn": (input) => ({ ...input, messages: [...input.messages, { role: "assistant", parts: [{ type: "text", text: "ok" }] }, user("go on")] }),
  "JSON schema": (input) => ({ ...input, responseFormat: { kind: "json_schema", name: "answer", schemaJson: "{}", strict: true } }),
};

const bases: Record<string, ComplexityInput> = {
  greeting: request([user("hi")]),
  "short question": request([user("What is the capital of France?")]),
  "analysis with tools": request([user(analysis)], { tools: [tool("search"), tool("calculator"), tool("sql")] }),
  "long text": request([user("lorem ipsum dolor sit amet ".repeat(400))]),
  "everything at once": request([user(analysis, image, image, image)], {
    tools: [tool("a"), tool("b"), tool("c"), tool("d")],
    responseFormat: { kind: "json_object" },
  }),
};

describe("complexityOf", () => {
  it("scores a one-line greeting low, and without tokenizing it", () => {
    tokenizer.uses = 0;
    const { score, factors } = complexityOf(
      request([{ role: "system", parts: [{ type: "text", text: "You are helpful." }] }, user("Hello! How are you today?")]),
    );
    expect(score).toBeLessThan(0.1);
    expect(factors.prompt_tokens).toBe(0);
    expect(tokenizer.uses).toBe(0);
  });

  it("scores a long multi-part analysis with tools high", () => {
    const long = request([user(`${analysis}\n\nBackground:\n${"The ledger keeps every charge as an immutable event and replays them nightly. ".repeat(60)}`)], {
      tools: [tool("search"), tool("calculator"), tool("sql")],
    });
    const { score, factors } = complexityOf(long);
    expect(score).toBeGreaterThanOrEqual(0.7);
    expect(factors.reasoning).toBe(complexityWeights.reasoning);
    expect(factors.tools).toBe(complexityWeights.tools);
    expect(factors.prompt_tokens).toBeGreaterThan(0);
    expect(factors.code).toBeGreaterThan(0);
    expect(factors.parts).toBeGreaterThan(0);
  });

  it("ranks requests by how demanding they are", () => {
    const scores = ["greeting", "short question", "analysis with tools", "everything at once"].map(
      (name) => complexityOf(bases[name] as ComplexityInput).score,
    );
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(scores[0]).toBeLessThan(scores[3] as number);
  });

  for (const [baseName, base] of Object.entries(bases)) {
    for (const [addition, add] of Object.entries(additions)) {
      it(`never scores "${baseName}" lower with ${addition} added`, () => {
        let input = base;
        let previous = complexityOf(input).score;
        // Keep adding: the score may saturate but never falls.
        for (let i = 0; i < 4; i++) {
          input = add(input);
          const next = complexityOf(input).score;
          expect(next).toBeGreaterThanOrEqual(previous);
          previous = next;
        }
      });
    }
  }

  it("raises the score for each signal added to a plain question", () => {
    const base = complexityOf(bases["short question"] as ComplexityInput).score;
    for (const [addition, add] of Object.entries(additions)) {
      expect(complexityOf(add(bases["short question"] as ComplexityInput)).score, addition).toBeGreaterThan(base);
    }
  });

  it("keeps scores within [0, 1], with factors adding up to the unclamped score", () => {
    for (const input of [
      ...Object.values(bases),
      request([user("")]),
      additions["JSON schema"]!(additions.image!(bases["everything at once"] as ComplexityInput)),
    ]) {
      const { score, factors } = complexityOf(input);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
      const sum = Object.values(factors).reduce((total, value) => total + value, 0);
      expect(score).toBeCloseTo(Math.min(1, sum), 2);
    }
    const saturated = additions["a turn"]!(additions["JSON schema"]!(bases["everything at once"] as ComplexityInput));
    const longer = { ...saturated, messages: [...saturated.messages, user("lorem ipsum dolor sit amet ".repeat(2000))] };
    expect(complexityOf(longer).score).toBe(1);
  });

  it("grades long prompts by their bytes, never tokenizing them, even a blob without spaces", () => {
    tokenizer.uses = 0;
    for (const text of ["word ".repeat(200_000), "y".repeat(1_000_000), "漢字".repeat(20_000)]) {
      const { factors } = complexityOf(request([user(text)]));
      expect(factors.prompt_tokens).toBe(complexityWeights.prompt_tokens);
    }
    const middling = complexityOf(request([user("lorem ipsum dolor sit amet ".repeat(100))])).factors.prompt_tokens;
    expect(middling).toBeGreaterThan(0);
    expect(middling).toBeLessThan(complexityWeights.prompt_tokens);
    expect(tokenizer.uses).toBe(0);
  });

  it("reads special-token markers in a prompt as plain text", () => {
    expect(complexityOf(request([user(`${"<|endoftext|> ".repeat(100)}`)])).factors.prompt_tokens).toBeGreaterThan(0);
  });

  it("is deterministic", () => {
    const input = bases["analysis with tools"] as ComplexityInput;
    expect(complexityOf(input)).toEqual(complexityOf(structuredClone(input)));
  });
});
