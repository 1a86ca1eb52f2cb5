import { describe, expect, it } from "vitest";
import { DeterministicProvider, splitIntoChunks } from "../../src/providers/deterministic/deterministic-provider.js";
import type { ChatRequest, ChatStreamEvent } from "../../src/shared/model-types.js";

const provider = new DeterministicProvider({ providerId: "local" });
const request = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  upstreamModel: "echo",
  messages: [
    { role: "system", parts: [{ type: "text", text: "ignored by the echo" }] },
    { role: "user", parts: [{ type: "text", text }] },
  ],
  tools: [],
  stop: [],
  ...extra,
});

async function collect(req: ChatRequest, signal = new AbortController().signal): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  for await (const event of provider.streamChat(req, signal)) events.push(event);
  return events;
}

describe("DeterministicProvider", () => {
  it("echoes the last user message in several chunks and reports exact usage", async () => {
    const events = await collect(request("alpha beta gamma delta epsilon"));
    const text = events.flatMap((event) => (event.type === "text" ? [event.text] : []));
    expect(text.length).toBeGreaterThan(1);
    expect(text.join("")).toBe("alpha beta gamma delta epsilon");
    expect(events.at(-2)).toEqual({ type: "finish", reason: "stop" });
    const usage = events.at(-1);
    expect(usage?.type === "usage" && usage.usage).toMatchObject({ outputTokens: 5, estimated: false });
    expect(usage?.type === "usage" && usage.usage.inputTokens).toBeGreaterThan(5);
  });

  it("cuts the answer at max tokens with finish reason length", async () => {
    const events = await collect(request("one two three four five six seven", { maxTokens: 2 }));
    expect(
      events
        .filter((e) => e.type === "text")
        .map((e) => (e.type === "text" ? e.text : ""))
        .join(""),
    ).toBe("one two");
    expect(events).toContainEqual({ type: "finish", reason: "length" });
  });

  it("answers JSON in JSON mode and calls a forced tool", async () => {
    const json = await collect(request("hi", { responseFormat: { kind: "json_object" } }));
    expect(JSON.parse(json.flatMap((e) => (e.type === "text" ? [e.text] : [])).join(""))).toEqual({ echo: "hi" });

    const tool = await collect(request("find it", { tools: [{ name: "search" }], toolChoice: { mode: "function", name: "search" } }));
    const calls = tool.filter((e) => e.type === "tool_call");
    expect(calls[0]).toMatchObject({ index: 0, name: "search" });
    expect(JSON.parse(calls.map((e) => (e.type === "tool_call" ? e.argumentsFragment : "")).join(""))).toEqual({ input: "find it" });
    expect(tool).toContainEqual({ type: "finish", reason: "tool_calls" });
  });

  it("stops when its signal aborts", async () => {
    const slow = new DeterministicProvider({ providerId: "slow", chunkDelayMs: 1000 });
    const controller = new AbortController();
    const iterator = slow.streamChat(request("a b c d"), controller.signal)[Symbol.asyncIterator]();
    const pending = iterator.next();
    controller.abort(new Error("stop"));
    await expect(pending).rejects.toThrow();
  });

  it("splits text on word boundaries without losing characters", () => {
    expect(splitIntoChunks("")).toEqual([]);
    expect(splitIntoChunks("single")).toEqual(["single"]);
    const text = "  spaced   out\ttext with\nnewlines ";
    expect(splitIntoChunks(text).join("")).toBe(text);
  });
});
