import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Role } from "../../gen/es/palyra/gateway/v1/common_pb.js";
import { GatewayService, type RoutingDecision } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// Smart routing through the real daemon: three local models a cost tier apart, routing enabled in
// "suggest" mode, and each mode asked for per request.

let gateway: TestGateway;
let client: OpenAI;

const capable = "tool_calls = true\njson_mode = true\nvision = true";

beforeAll(async () => {
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
default_chat_model_id = "mid-echo"
response_cache_enabled = false

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.models]]
model_id = "cheap-echo"
provider_id = "local"
cost_tier = 1
${capable}

[[model_provider.models]]
model_id = "mid-echo"
provider_id = "local"
cost_tier = 3
${capable}

[[model_provider.models]]
model_id = "strong-echo"
provider_id = "local"
cost_tier = 5
${capable}

[usage.smart_routing]
enabled = true
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
});

const simple = "Hi! What time is it in Paris?";
const demanding =
  "Analyze the three incident reports and the attached graph, compare their root causes step by step, and explain why the second outage lasted longer. " +
  "Which fix is cheapest? Which is safest? What should we monitor?";
const graph = "https://images.test/latency-graph.png";
const tools: OpenAI.ChatCompletionTool[] = ["search_logs", "query_metrics", "open_ticket"].map((name) => ({
  type: "function",
  function: { name, parameters: { type: "object", properties: {} } },
}));

function ask(content: string, options: { model?: string; mode?: string; demanding?: boolean } = {}) {
  const body = {
    // The SDK wants a model; "auto" leaves the choice to the gateway, as an omitted one does.
    model: options.model ?? "auto",
    messages: [
      {
        role: "user" as const,
        content: options.demanding
          ? [
              { type: "text" as const, text: content },
              { type: "image_url" as const, image_url: { url: graph } },
            ]
          : content,
      },
    ],
    ...(options.demanding && { tools, response_format: { type: "json_schema" as const, json_schema: { name: "findings", schema: { type: "object" } } } }),
  };
  return client.chat.completions.create(body, { headers: options.mode === undefined ? {} : { "x-palyra-routing-mode": options.mode } }).withResponse();
}

function recordedRouting(runId: string) {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("SELECT model_id, requested_model, routing_mode, recommended_model, complexity, dry_run_change FROM runs WHERE run_id = ?").get(runId) as
      | {
          model_id: string;
          requested_model: string | null;
          routing_mode: string | null;
          recommended_model: string | null;
          complexity: number | null;
          dry_run_change: string | null;
        }
      | undefined;
  } finally {
    db.close();
  }
}

const header = (response: Response, name: string) => response.headers.get(name);

describe("smart routing over /v1", () => {
  it("reports the mode, the recommendation and the complexity in headers, for each mode", async () => {
    for (const mode of ["suggest", "dry_run", "enforced"]) {
      const { response } = await ask(simple, { mode });
      expect(header(response, "x-palyra-routing-mode"), mode).toBe(mode);
      expect(header(response, "x-palyra-recommended-model"), mode).toBe("cheap-echo");
      const complexity = Number(header(response, "x-palyra-complexity"));
      expect(complexity).toBeGreaterThanOrEqual(0);
      expect(complexity).toBeLessThanOrEqual(0.3);
    }
    const { response } = await ask(demanding, { mode: "suggest", demanding: true });
    expect(header(response, "x-palyra-recommended-model")).toBe("strong-echo");
    expect(Number(header(response, "x-palyra-complexity"))).toBeGreaterThanOrEqual(0.7);
  });

  it("enforced: a request that names no model is served by the recommended one", async () => {
    const cheap = await ask(simple, { mode: "enforced" });
    expect(header(cheap.response, "x-palyra-model")).toBe("cheap-echo");
    expect(cheap.data.model).toBe("cheap-echo");
    expect(cheap.data.choices[0]?.message.content).toContain(simple);

    const strong = await ask(demanding, { mode: "enforced", demanding: true });
    expect(header(strong.response, "x-palyra-model")).toBe("strong-echo");
    const row = recordedRouting(header(strong.response, "x-palyra-run-id") ?? "");
    expect(row).toMatchObject({ model_id: "strong-echo", routing_mode: "enforced", recommended_model: "strong-echo", dry_run_change: null });
  });

  it("enforced: a request that names a model keeps it", async () => {
    const { response } = await ask(simple, { mode: "enforced", model: "strong-echo" });
    expect(header(response, "x-palyra-model")).toBe("strong-echo");
    expect(header(response, "x-palyra-recommended-model")).toBe("cheap-echo");
  });

  it("suggest (the configured mode): keeps the default model and only reports the recommendation", async () => {
    for (const mode of [undefined, "suggest"]) {
      const { response } = await ask(simple, mode === undefined ? {} : { mode });
      expect(header(response, "x-palyra-model")).toBe("mid-echo");
      expect(header(response, "x-palyra-routing-mode")).toBe("suggest");
      const row = recordedRouting(header(response, "x-palyra-run-id") ?? "");
      expect(row).toMatchObject({ model_id: "mid-echo", routing_mode: "suggest", recommended_model: "cheap-echo", dry_run_change: null });
    }
  });

  it("dry_run: keeps the default model and records what enforcement would have changed", async () => {
    const { response } = await ask(simple, { mode: "dry_run" });
    expect(header(response, "x-palyra-model")).toBe("mid-echo");
    const row = recordedRouting(header(response, "x-palyra-run-id") ?? "");
    expect(row).toMatchObject({
      model_id: "mid-echo",
      routing_mode: "dry_run",
      recommended_model: "cheap-echo",
      dry_run_change: "enforced would use cheap-echo instead of mid-echo",
    });
    expect(row?.complexity).toBeCloseTo(Number(header(response, "x-palyra-complexity")), 3);
  });

  it("off: a request may opt out, and then nothing about smart routing is reported or recorded", async () => {
    const { response } = await ask(simple, { mode: "off" });
    expect(header(response, "x-palyra-model")).toBe("mid-echo");
    expect(header(response, "x-palyra-routing-mode")).toBeNull();
    expect(header(response, "x-palyra-recommended-model")).toBeNull();
    expect(recordedRouting(header(response, "x-palyra-run-id") ?? "")).toMatchObject({ routing_mode: null, recommended_model: null, complexity: null });
  });

  it("refuses an unknown mode with a 400 naming the allowed ones", async () => {
    const error = await ask(simple, { mode: "yolo" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("routing_mode");
    expect((error as Error).message).toMatch(/off, suggest, dry_run, enforced/);
  });
});

describe("smart routing over RunStream and the CLI", () => {
  it("carries the decision in the routing event", async () => {
    const rpc = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    async function* requests() {
      yield {
        action: {
          case: "start" as const,
          value: { routingMode: "dry_run", messages: [{ role: Role.USER, parts: [{ part: { case: "text" as const, value: simple } }] }] },
        },
      };
    }
    let routing: RoutingDecision | undefined;
    for await (const event of rpc.runStream(requests(), { headers: { authorization: `Bearer ${testToken}` } })) {
      if (event.event.case === "routing") routing = event.event.value;
    }
    expect(routing).toMatchObject({
      selectedModel: "mid-echo",
      routingMode: "dry_run",
      recommendedModel: "cheap-echo",
      dryRunChange: "enforced would use cheap-echo instead of mid-echo",
    });
    expect(routing?.complexity).toBeLessThanOrEqual(0.3);
  });

  it("palyra models explain --json shows the recommendation", async () => {
    const env = cleanEnv({ PALYRA_ADMIN_TOKEN: testToken });
    const explain = (...args: string[]) => runPalyra(["models", "explain", "--json", "--addr", gateway.grpcAddress, ...args], { cwd: gateway.stateDir, env });

    const suggested = await explain(simple);
    expect(suggested.code, suggested.stderr).toBe(0);
    expect(JSON.parse(suggested.stdout)).toMatchObject({ routingMode: "suggest", recommendedModel: "cheap-echo", selectedModel: "mid-echo" });

    const enforced = await explain("--routing-mode", "enforced", simple);
    const parsed = JSON.parse(enforced.stdout) as { complexity?: number };
    expect(parsed).toMatchObject({ routingMode: "enforced", recommendedModel: "cheap-echo", selectedModel: "cheap-echo" });
    expect(parsed.complexity ?? 0).toBeLessThanOrEqual(0.3);

    const human = await runPalyra(["models", "explain", "--addr", gateway.grpcAddress, "--routing-mode", "dry_run", simple], { cwd: gateway.stateDir, env });
    expect(human.stdout).toMatch(/smart routing: dry_run\s+complexity: \d\.\d{3}\s+recommended: cheap-echo/);
  });
});
