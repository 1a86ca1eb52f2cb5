import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { slowModelConfig, startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

let gateway: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  gateway = await startTestGateway({ configToml: slowModelConfig });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
});

function runRow(runId: string) {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("select * from runs where run_id = ?").get(runId) as Record<string, unknown> | undefined;
  } finally {
    db.close();
  }
}

describe("OpenAI SDK against /v1", () => {
  it("lists and retrieves models", async () => {
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(expect.arrayContaining(["palyra-echo", "slow-echo", "echo-embed"]));
    const model = await client.models.retrieve("palyra-echo");
    expect(model).toMatchObject({ id: "palyra-echo", object: "model", owned_by: "local" });
    await expect(client.models.retrieve("no-such-model")).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("answers a chat completion and records the run", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: "palyra-echo",
        messages: [
          { role: "system", content: "be brief" },
          { role: "user", content: "hello gateway" },
        ],
      })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.model).toBe("palyra-echo");
    expect(data.choices[0]?.message).toMatchObject({ role: "assistant", content: "hello gateway" });
    expect(data.choices[0]?.finish_reason).toBe("stop");
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(data.usage?.total_tokens).toBe((data.usage?.prompt_tokens ?? 0) + (data.usage?.completion_tokens ?? 0));

    const runId = response.headers.get("x-palyra-run-id");
    expect(response.headers.get("x-palyra-model")).toBe("palyra-echo");
    expect(response.headers.get("x-palyra-provider")).toBe("local");
    expect(data.id).toBe(`chatcmpl-${runId}`);
    const row = runRow(runId ?? "");
    expect(row).toMatchObject({
      status: "succeeded",
      model_id: "palyra-echo",
      provider_id: "local",
      finish_reason: "stop",
      caller_id: "admin",
      input_tokens: data.usage?.prompt_tokens,
      output_tokens: data.usage?.completion_tokens,
    });
  });

  it("uses the default chat model when model is omitted or auto", async () => {
    const data = await client.chat.completions.create({ model: "auto", messages: [{ role: "user", content: "pick one" }] });
    expect(data.model).toBe("palyra-echo");
  });

  it("streams deltas as SSE, with usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "palyra-echo",
      messages: [{ role: "user", content: "one two three four five six seven eight" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice?.delta.content) deltas.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("one two three four five six seven eight");
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("ends a raw SSE stream with data: [DONE] and sends no usage chunk unless asked", async () => {
    const response = await fetch(`${gateway.httpBase}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${testToken}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "palyra-echo", messages: [{ role: "user", content: "raw stream" }], stream: true }),
    });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(response.headers.get("x-palyra-run-id")).toBeTruthy();
    const frames = (await response.text()).trim().split("\n\n");
    expect(frames.at(-1)).toBe("data: [DONE]");
    expect(frames.some((frame) => frame.includes('"usage"'))).toBe(false);
  });

  it("returns tool calls, in full and streamed", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "lookup", description: "look it up", parameters: { type: "object", properties: { input: { type: "string" } } } } },
    ];
    const data = await client.chat.completions.create({
      model: "palyra-echo",
      messages: [{ role: "user", content: "weather in Oslo" }],
      tools,
      tool_choice: { type: "function", function: { name: "lookup" } },
    });
    const call = data.choices[0]?.message.tool_calls?.[0];
    expect(data.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type).toBe("function");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ input: "weather in Oslo" });

    const stream = await client.chat.completions.create({
      model: "palyra-echo",
      messages: [{ role: "user", content: "weather in Oslo" }],
      tools,
      tool_choice: "required",
      stream: true,
    });
    let args = "";
    let name = "";
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        name ||= delta.function?.name ?? "";
        args += delta.function?.arguments ?? "";
      }
    }
    expect(name).toBe("lookup");
    expect(JSON.parse(args)).toEqual({ input: "weather in Oslo" });
  });

  it("honours JSON mode and max_tokens", async () => {
    const json = await client.chat.completions.create({
      model: "palyra-echo",
      messages: [{ role: "user", content: "as json" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(json.choices[0]?.message.content ?? "")).toEqual({ echo: "as json" });

    const cut = await client.chat.completions.create({
      model: "palyra-echo",
      messages: [{ role: "user", content: "a rather long sentence that will certainly be cut short by the limit" }],
      max_completion_tokens: 3,
    });
    expect(cut.choices[0]?.finish_reason).toBe("length");
    expect(cut.usage?.completion_tokens).toBe(3);
  });

  it("accepts image parts for a vision model and refuses them for a text-only one", async () => {
    const image = "data:image/png;base64,iVBORw0KGgo=";
    const content: OpenAI.ChatCompletionContentPart[] = [
      { type: "text", text: "what is this" },
      { type: "image_url", image_url: { url: image } },
    ];
    const data = await client.chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content }] });
    expect(data.choices[0]?.message.content).toBe("what is this [image]");
    const refused = await client.chat.completions.create({ model: "text-only", messages: [{ role: "user", content }] }).catch((error) => error);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect(refused.code).toBe("model_capability_missing");
  });
});

describe("errors are OpenAI-shaped", () => {
  it("names an unknown model with 404", async () => {
    const error = await client.chat.completions.create({ model: "gpt-nonexistent", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.param).toBe("model");
    expect(error.message).toContain("gpt-nonexistent");
  });

  it("names the field at fault with 400", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ model: "palyra-echo", messages: [] }, "messages"],
      [{ model: "palyra-echo", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
      [{ model: "palyra-echo", messages: [{ role: "user", content: "x" }], temperature: 7 }, "temperature"],
      [{ model: "palyra-echo", messages: [{ role: "user", content: "" }] }, "messages[0].content"],
      [{ model: "palyra-echo", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id"],
      [
        { model: "palyra-echo", messages: [{ role: "user", content: "x" }], tools: [{ type: "function", function: { name: "bad name!" } }] },
        "tools[0].function.name",
      ],
      [{ model: "palyra-echo", messages: [{ role: "user", content: "x" }], n: 3 }, "n"],
      [{ model: "echo-embed", messages: [{ role: "user", content: "x" }] }, "model"],
    ];
    for (const [body, param] of cases) {
      const error = await client.chat.completions.create(body as never).catch((e) => e);
      expect(error, JSON.stringify(body)).toBeInstanceOf(OpenAI.BadRequestError);
      expect(error.param, JSON.stringify(body)).toBe(param);
      expect(error.type).toBe("invalid_request_error");
    }
  });

  it("refuses a missing or wrong token with 401 before looking at the body", async () => {
    const wrong = new OpenAI({ apiKey: "not-the-token", baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const error = await wrong.chat.completions.create({ model: "palyra-echo", messages: [] }).catch((e) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error.type).toBe("authentication_error");

    const response = await fetch(`${gateway.httpBase}/v1/models`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as any).error.code).toBe("missing_api_key");
  });

  it("answers malformed JSON, wrong bodies and unknown routes clearly", async () => {
    const post = (body: string, path = "/v1/chat/completions") =>
      fetch(`${gateway.httpBase}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${testToken}`, "content-type": "application/json" },
        body,
      });
    const malformed = await post("{not json");
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as any).error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });

    const array = await post("[1,2]");
    expect(array.status).toBe(400);
    expect(((await array.json()) as any).error.message).toContain("JSON object");

    const unknown = await post("{}", "/v1/nothing-here");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).error.code).toBe("unknown_url");
  });

  it("serves /healthz without credentials", async () => {
    const response = await fetch(`${gateway.httpBase}/healthz`);
    expect(response.status).toBe(200);
    expect((await response.json()) as any).toMatchObject({ status: "ok" });
  });
});
