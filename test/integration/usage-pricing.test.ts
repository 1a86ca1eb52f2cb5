import { type IncomingHttpHeaders, request } from "node:http";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageGroupBy, UsageService, type UsageSummaryRow } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { PriceCatalog } from "../../src/governance/pricing/price-catalog.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// Pricing and the usage summary through the real daemon: SetPricing over gRPC, chats through /v1 to a
// fake OpenAI upstream that reports cached tokens, then GetUsageSummary and the palyra usage commands.

let upstream: FakeOpenAI;
let gateway: TestGateway;
let usage: Client<typeof UsageService>;
const auth = { headers: { authorization: `Bearer ${testToken}` } };

// The fake counts one token per word, plus 10 for the prompt's framing, and reports 4 of them cached.
const prompt = "one two three four five";
const promptTokens = 5 + 10;
const cachedTokens = 4;
const completionTokens = 6; // "echo: one two three four five"

beforeAll(async () => {
  upstream = await startFakeOpenAI({ cachedTokens });
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "gpt-priced"

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
api_key = "sk-test-usage"

[[model_provider.models]]
model_id = "gpt-priced"
provider_id = "openai"
upstream_model = "gpt-4o-mini"

[[model_provider.models]]
model_id = "gpt-default"
provider_id = "openai"
upstream_model = "gpt-4o-mini"

[[model_provider.models]]
model_id = "embed-priced"
provider_id = "openai"
upstream_model = "text-embedding-3-small"
role = "embeddings"

[[usage.pricing]]
model_id = "gpt-priced"
input_per_mtok = 1
output_per_mtok = 1

[[usage.pricing]]
model_id = "embed-priced"
input_per_mtok = 100
`,
  });
  usage = createClient(UsageService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
});

const cli = (args: string[]) =>
  runPalyra([...args, "--addr", gateway.grpcAddress], { cwd: gateway.stateDir, env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }) });

describe("usage pricing and summary", () => {
  it("sets a runtime price over gRPC, filling unset cache rates with the input rate", async () => {
    const response = await usage.setPricing(
      { price: { modelId: "gpt-priced", inputPerMtok: 2, outputPerMtok: 8, cachedInputPerMtok: 0.5, perRequest: 0 } },
      auth,
    );
    expect(response.price).toMatchObject({
      modelId: "gpt-priced",
      inputPerMtok: 2,
      outputPerMtok: 8,
      cachedInputPerMtok: 0.5,
      cacheWritePerMtok: 2,
      source: "runtime",
    });
    expect(response.price?.effectiveFrom).toBeUndefined();

    const listed = await usage.listPricing({}, auth);
    expect(listed.prices.map((price) => [price.modelId, price.source, price.inputPerMtok])).toEqual([
      ["embed-priced", "config", 100],
      ["gpt-priced", "config", 1],
      ["gpt-priced", "runtime", 2],
    ]);
  });

  it("refuses malformed prices, naming the field", async () => {
    const refused = await usage.setPricing({ price: { modelId: "gpt-priced", inputPerMtok: -1, outputPerMtok: 1 } }, auth).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toContain("price.input_per_mtok");
    const noModel = await usage.setPricing({ price: { modelId: "not a model id" } }, auth).catch((error: unknown) => error);
    expect((noModel as ConnectError).code).toBe(Code.InvalidArgument);
    const unknownModel = await usage
      .setPricing({ price: { modelId: "gpt-4o-mnii", inputPerMtok: 1, outputPerMtok: 1 } }, auth)
      .catch((error: unknown) => error);
    expect((unknownModel as ConnectError).code).toBe(Code.InvalidArgument);
    expect((unknownModel as ConnectError).rawMessage).toContain('price.model_id: no model "gpt-4o-mnii" in the registry');
    const noPrice = await usage.setPricing({}, auth).catch((error: unknown) => error);
    expect((noPrice as ConnectError).rawMessage).toContain("price: is required");
    const unauthenticated = await usage.listPricing({}).catch((error: unknown) => error);
    expect((unauthenticated as ConnectError).code).toBe(Code.Unauthenticated);
  });

  it("summarizes chats by model with their tokens, and their cost by the price in force", async () => {
    const openai = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: "gpt-priced", messages: [{ role: "user", content: prompt }] });
    expect(answer.usage).toMatchObject({ prompt_tokens: promptTokens, completion_tokens: completionTokens });
    const stream = await openai.chat.completions.create({
      model: "gpt-priced",
      messages: [{ role: "user", content: prompt }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const _chunk of stream) {
      // Drain the stream; the run is recorded when it ends.
    }
    await openai.chat.completions.create({ model: "gpt-default", messages: [{ role: "user", content: prompt }] });

    const summary = await usage.getUsageSummary({ groupBy: UsageGroupBy.MODEL }, auth);
    const priced = summary.rows.find((row) => row.key === "gpt-priced");
    expect(priced).toMatchObject({
      runs: 2n,
      errors: 0n,
      inputTokens: BigInt(2 * promptTokens),
      cachedInputTokens: BigInt(2 * cachedTokens),
      outputTokens: BigInt(2 * completionTokens),
    });
    expect(summary.total).toMatchObject({ runs: 3n, inputTokens: BigInt(3 * promptTokens) });

    // The cost of what the ledger recorded, by the PriceBook with the price SetPricing stored: cached
    // tokens at the cached rate, the rest of the prompt at the input rate, never both.
    const listed = await usage.listPricing({}, auth);
    const runtime = listed.prices.filter((price) => price.source === "runtime").map((price) => ({ ...price, effectiveFrom: 0, source: "runtime" as const }));
    const book = new PriceCatalog({ config: [], runtime });
    const expected = book.costOf({ modelId: "gpt-priced", upstreamModel: "gpt-4o-mini" }, recordedUsage(priced), Date.now());
    expect(expected.priced).toBe(true);
    const byHand = (2 * (promptTokens - cachedTokens) * 2 + 2 * cachedTokens * 0.5 + 2 * completionTokens * 8) / 1e6;
    expect(expected.costUsd).toBeCloseTo(byHand, 12);
    // RunGovernance.settle wrote each run's cost_usd with the daemon's PriceCatalog: the ledger agrees.
    expect(priced?.costUsd).toBeCloseTo(byHand, 12);
    expect(priced?.estimatedRuns).toBe(0n);
  });

  it("prices a model without an explicit price by the bundled catalog", async () => {
    const summary = await usage.getUsageSummary({ groupBy: UsageGroupBy.MODEL }, auth);
    // gpt-default has no explicit price: the bundled catalog prices gpt-4o-mini.
    const catalogPriced = summary.rows.find((row) => row.key === "gpt-default");
    expect(catalogPriced?.costUsd).toBeCloseTo(((promptTokens - cachedTokens) * 0.15 + cachedTokens * 0.075 + completionTokens * 0.6) / 1e6, 12);
    expect(catalogPriced?.estimatedRuns).toBe(0n);
  });

  it("groups by day, provider and API key, and honours the window", async () => {
    const byDay = await usage.getUsageSummary({ groupBy: UsageGroupBy.DAY }, auth);
    // The runs ran moments ago: on today's UTC day or, when they straddled midnight, partly on yesterday's.
    const days = [Date.now(), Date.now() - 10 * 60_000].map((ms) => new Date(ms).toISOString().slice(0, 10));
    const keys = byDay.rows.map((row) => row.key);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(days).toContain(key);
    expect(byDay.rows.reduce((runs, row) => runs + row.runs, 0n)).toBe(3n);
    const byKey = await usage.getUsageSummary({ groupBy: UsageGroupBy.API_KEY }, auth);
    expect(byKey.rows.map((row) => [row.key, row.runs])).toEqual([["admin", 3n]]);
    const byProvider = await usage.getUsageSummary({ groupBy: UsageGroupBy.PROVIDER }, auth);
    expect(byProvider.rows.map((row) => [row.key, row.runs])).toEqual([["openai", 3n]]);
    const future = await usage.getUsageSummary({ since: timestampFromMs(Date.now() + 60_000), until: timestampFromMs(Date.now() + 120_000) }, auth);
    expect(future.rows).toEqual([]);
    expect(future.total?.runs).toBe(0n);
  });

  it("lists catalog prices for configured models' upstream names", async () => {
    const listed = await usage.listPricing({ includeCatalog: true }, auth);
    const catalog = listed.prices.filter((price) => price.source === "catalog");
    expect(catalog.map((price) => price.modelId).sort()).toEqual(["gpt-default", "gpt-priced"]);
    expect(catalog.find((price) => price.modelId === "gpt-default")).toMatchObject({ inputPerMtok: 0.15, outputPerMtok: 0.6, cachedInputPerMtok: 0.075 });
  });

  it("serves palyra usage pricing and usage report", async () => {
    const set = await cli([
      "usage",
      "pricing",
      "set",
      "--model",
      "gpt-default",
      "--input",
      "0.3",
      "--output",
      "1.2",
      "--effective-from",
      "2030-01-01T00:00:00Z",
      "--json",
    ]);
    expect(set.stderr).toBe("");
    expect(set.code).toBe(0);
    expect(JSON.parse(set.stdout).price).toMatchObject({
      modelId: "gpt-default",
      inputPerMtok: 0.3,
      cacheWritePerMtok: 0.3,
      effectiveFrom: "2030-01-01T00:00:00.000Z",
      source: "runtime",
    });

    const list = await cli(["usage", "pricing", "list", "--catalog", "--json"]);
    expect(list.code).toBe(0);
    const prices = JSON.parse(list.stdout).prices as { modelId: string; source: string }[];
    expect(prices.map((price) => `${price.modelId}/${price.source}`)).toEqual(
      expect.arrayContaining(["gpt-priced/config", "gpt-priced/runtime", "gpt-default/runtime", "gpt-default/catalog", "gpt-priced/catalog"]),
    );

    const report = await cli(["usage", "report", "--since", "1d", "--by", "model", "--json"]);
    expect(report.code).toBe(0);
    const parsed = JSON.parse(report.stdout) as { rows: { key: string; runs: number; inputTokens: number }[]; total: { runs: number } };
    expect(parsed.rows.find((row) => row.key === "gpt-priced")).toMatchObject({ runs: 2, inputTokens: 2 * promptTokens });
    expect(parsed.total.runs).toBe(3);

    const table = await cli(["usage", "report", "--by", "provider"]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^PROVIDER\s+RUNS\s+ERRORS\s+INPUT\s+CACHED\s+OUTPUT\s+COST USD\s+ESTIMATED$/m);
    expect(table.stdout).toMatch(/^openai\s+3\s+0\s+45\s+12\s+18\s/m);
    expect(table.stdout).toMatch(/^TOTAL\s+3\s/m);

    const bad = await cli(["usage", "report", "--by", "planet"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("must be one of model, provider, agent, api_key, day");
  });
});

function recordedUsage(row: UsageSummaryRow | undefined) {
  return {
    inputTokens: Number(row?.inputTokens ?? 0n),
    outputTokens: Number(row?.outputTokens ?? 0n),
    cachedInputTokens: Number(row?.cachedInputTokens ?? 0n),
    cacheWriteTokens: 0,
    estimated: false,
  };
}

describe("what each answer cost, as the caller sees it", () => {
  const ledgerCost = (runId: string) => {
    const db = new Database(gateway.databaseFile, { readonly: true });
    try {
      return (db.prepare("SELECT cost_usd FROM runs WHERE run_id = ?").get(runId) as { cost_usd: number } | undefined)?.cost_usd;
    } finally {
      db.close();
    }
  };

  it("carries the recorded cost in a header and in usage.cost_usd for JSON answers and embeddings", async () => {
    const openai = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
    const { data, response } = await openai.chat.completions.create({ model: "gpt-priced", messages: [{ role: "user", content: prompt }] }).withResponse();
    const recorded = ledgerCost(response.headers.get("x-palyra-run-id") ?? "");
    expect(recorded).toBeGreaterThan(0);
    expect(Number(response.headers.get("x-palyra-cost-usd"))).toBeCloseTo(recorded ?? -1, 8);
    expect((data.usage as unknown as { cost_usd: number }).cost_usd).toBe(recorded);

    const embedded = await openai.embeddings.create({ model: "embed-priced", input: ["one two three"] }).withResponse();
    const embedCost = ledgerCost(embedded.response.headers.get("x-palyra-run-id") ?? "");
    expect(embedCost).toBeGreaterThan(0);
    expect(Number(embedded.response.headers.get("x-palyra-cost-usd"))).toBeCloseTo(embedCost ?? -1, 8);
    expect((embedded.data.usage as unknown as { cost_usd: number }).cost_usd).toBe(embedCost);
  });

  it("follows a stream with its cost: in the usage chunk, and as a trailer when usage was not asked for", async () => {
    const stream = (includeUsage: boolean) =>
      new Promise<{ headers: IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: string }>((resolve, reject) => {
        const body = JSON.stringify({
          model: "gpt-priced",
          messages: [{ role: "user", content: prompt }],
          stream: true,
          ...(includeUsage && { stream_options: { include_usage: true } }),
        });
        const call = request(
          `${gateway.httpBase}/v1/chat/completions`,
          { method: "POST", headers: { authorization: `Bearer ${testToken}`, "content-type": "application/json" } },
          (res) => {
            let text = "";
            res.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
            res.on("end", () => resolve({ headers: res.headers, trailers: res.trailers, body: text }));
          },
        );
        call.on("error", reject).end(body);
      });

    const plain = await stream(false);
    expect(plain.headers.trailer).toBe("x-palyra-cost-usd");
    expect(plain.body).toContain("data: [DONE]");
    const recorded = ledgerCost(String(plain.headers["x-palyra-run-id"]));
    expect(recorded).toBeGreaterThan(0);
    expect(Number(plain.trailers["x-palyra-cost-usd"])).toBeCloseTo(recorded ?? -1, 8);

    const withUsage = await stream(true);
    const frames = withUsage.body
      .split("\n\n")
      .filter((frame) => frame.startsWith("data: {"))
      .map((frame) => JSON.parse(frame.slice(6)) as { usage?: { cost_usd?: number } | null });
    const usageFrame = frames.find((frame) => frame.usage);
    expect(usageFrame?.usage?.cost_usd).toBe(ledgerCost(String(withUsage.headers["x-palyra-run-id"])));
  });
});
