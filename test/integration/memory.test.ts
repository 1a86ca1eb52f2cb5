import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ApiKeysService } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { MemoryService, SearchMode } from "../../gen/es/palyra/gateway/v1/memory_pb.js";
import { putVectors } from "../../src/store/memory-repository.js";
import { openSqliteStore } from "../../src/store/open-store.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// MemoryService through the real daemon: the Connect client and the `palyra memory` CLI, words and
// meaning, who reaches which agent's journal, and run capture on and off.

const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const admin = as(testToken);

let gateway: TestGateway;
let memory: Client<typeof MemoryService>;

beforeAll(async () => {
  gateway = await startTestGateway();
  memory = createClient(MemoryService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
});

afterAll(async () => {
  await gateway?.stop();
});

async function refusal(promise: Promise<unknown>): Promise<ConnectError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

const retain = (agentId: string, text: string, options = admin, tags: string[] = []) => memory.retain({ agentId, text, tags }, options);

/** Embeds every item of the agent with the daemon's embeddings model and stores the vectors (the backfill's work, done by hand). */
async function embedJournal(agentId: string): Promise<void> {
  const gatewayClient = createClient(GatewayService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
  const { items } = await memory.listMemories({ agentId }, admin);
  const { embeddings } = await gatewayClient.embed({ model: "palyra-embed", inputs: items.map((item) => item.text) }, admin);
  const store = await openSqliteStore(gateway.databaseFile);
  try {
    await putVectors(
      store.db,
      items.map((item, index) => ({
        memoryId: item.memoryId,
        agentId,
        modelId: "palyra-embed",
        vector: embeddings[index]?.values ?? [],
        embeddedAt: Date.now(),
      })),
    );
  } finally {
    await store.close();
  }
}

describe("MemoryService", () => {
  it("retains once per text, finds by words and by meaning, lists, shows and deletes", async () => {
    const door = await retain("scout", "The blue door opens at dawn", admin, ["places"]);
    expect(door.created).toBe(true);
    expect(door.item).toMatchObject({ agentId: "scout", text: "The blue door opens at dawn", tags: ["places"], embeddingModelId: "" });
    expect((await retain("scout", "The blue door opens at dawn")).created).toBe(false);
    await retain("scout", "Supplies are low on water");
    await retain("scout", "The river floods every spring");

    const lexical = await memory.search({ agentId: "scout", query: "door", mode: SearchMode.LEXICAL }, admin);
    expect(lexical.hits.map((hit) => [hit.item?.text, hit.matchedBy])).toEqual([["The blue door opens at dawn", SearchMode.LEXICAL]]);
    expect((await memory.search({ agentId: "scout", query: "water", mode: SearchMode.SEMANTIC }, admin)).hits).toEqual([]);

    await embedJournal("scout");
    const semantic = await memory.search({ agentId: "scout", query: "Supplies are low on water", mode: SearchMode.SEMANTIC, k: 1 }, admin);
    expect(semantic.hits.map((hit) => hit.item?.text)).toEqual(["Supplies are low on water"]);
    expect(semantic.hits[0]?.score).toBeCloseTo(1, 5);
    expect(semantic.hits[0]?.item?.embeddingModelId).toBe("palyra-embed");
    const hybrid = await memory.search({ agentId: "scout", query: "Supplies are low on water" }, admin);
    expect(hybrid.mode).toBe(SearchMode.HYBRID);
    expect(hybrid.hits[0]).toMatchObject({ matchedBy: SearchMode.HYBRID, item: { text: "Supplies are low on water" } });

    const status = await memory.getMemoryStatus({ agentId: "scout" }, admin);
    expect(status).toMatchObject({ items: 3n, awaitingEmbedding: 0n, embeddingModelId: "palyra-embed" });
    const listed = await memory.listMemories({ agentId: "scout", tags: ["places"] }, admin);
    expect(listed.items.map((item) => item.memoryId)).toEqual([door.item?.memoryId]);
    const memoryId = door.item?.memoryId ?? "";
    expect((await memory.getMemory({ memoryId }, admin)).item?.text).toBe("The blue door opens at dawn");
    expect((await memory.deleteMemory({ memoryId }, admin)).deleted).toBe(true);
    expect((await refusal(memory.getMemory({ memoryId }, admin))).code).toBe(Code.NotFound);
  });

  it("names the field a request gets wrong", async () => {
    const noAgent = await refusal(retain("", "x"));
    expect(noAgent.code).toBe(Code.InvalidArgument);
    expect(noAgent.rawMessage).toContain("agent_id");
    expect((await refusal(memory.search({ agentId: "scout", query: "x", k: 500 }, admin))).rawMessage).toContain("k:");
  });

  it("keeps a key bound to an agent to that agent's journal, and a key without the scope out", async () => {
    const keys = createClient(ApiKeysService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const bound = (await keys.createApiKey({ name: "scout's", agentId: "alpha", scopes: ["memory.read", "memory.write"] }, admin)).secret;
    const chatOnly = (await keys.createApiKey({ name: "chat", scopes: ["chat.create"] }, admin)).secret;
    const theirs = await retain("beta", "beta's secret plan");

    expect((await retain("", "alpha's own note", as(bound))).item?.agentId).toBe("alpha");
    const crossed = await refusal(retain("beta", "sneaky", as(bound)));
    expect(crossed.code).toBe(Code.PermissionDenied);
    expect(crossed.rawMessage).toContain('"beta"');
    expect((await refusal(memory.search({ agentId: "beta", query: "plan" }, as(bound)))).code).toBe(Code.PermissionDenied);
    expect((await refusal(memory.getMemory({ memoryId: theirs.item?.memoryId ?? "" }, as(bound)))).code).toBe(Code.NotFound);
    expect((await refusal(memory.deleteMemory({ memoryId: theirs.item?.memoryId ?? "" }, as(bound)))).code).toBe(Code.NotFound);
    const own = await memory.search({ agentId: "", query: "plan note", mode: SearchMode.LEXICAL }, as(bound));
    expect(own.hits.map((hit) => hit.item?.text)).toEqual(["alpha's own note"]);

    const unscoped = await refusal(memory.search({ agentId: "beta", query: "plan" }, as(chatOnly)));
    expect(unscoped.code).toBe(Code.PermissionDenied);
    expect(unscoped.rawMessage).toContain("memory.read");
  });
});

describe("palyra memory", () => {
  async function cli(...args: string[]): Promise<Record<string, any>> {
    const result = await runPalyra(["memory", ...args, "--json", "--addr", gateway.grpcAddress], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    if (result.code !== 0) throw new Error(`palyra memory ${args.join(" ")} exited ${result.code}: ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, any>;
  }

  it("retains, searches, lists, shows, deletes and reports status", async () => {
    const retained = await cli("retain", "--agent-id", "cli-agent", "--text", "Deploys happen on Tuesdays", "--tag", "ops", "--ttl", "7d");
    const memoryId = retained.item.memoryId as string;
    expect(retained).toMatchObject({ created: true, item: { agentId: "cli-agent", tags: ["ops"], source: "MEMORY_SOURCE_MANUAL" } });
    expect(retained.item.expiresAt).toBeDefined();
    const found = await cli("search", "--agent-id", "cli-agent", "--mode", "lexical", "when are deploys");
    expect(found.hits.map((hit: any) => hit.item.memoryId)).toEqual([memoryId]);
    expect((await cli("list", "--agent-id", "cli-agent")).items.map((item: any) => item.memoryId)).toEqual([memoryId]);
    expect((await cli("show", memoryId)).item.text).toBe("Deploys happen on Tuesdays");
    expect(await cli("status", "--agent-id", "cli-agent")).toMatchObject({ items: 1, embeddingModelId: "palyra-embed" });
    expect(await cli("delete", memoryId)).toEqual({ deleted: true });
  });
});

describe("run capture", () => {
  const chat = (base: string, agentId: string, text: string) =>
    new OpenAI({
      apiKey: testToken,
      baseURL: `${base}/v1`,
      maxRetries: 0,
      defaultHeaders: { "x-palyra-agent-id": agentId, "x-palyra-session-id": "s-1" },
    }).chat.completions
      .create({
        model: "palyra-echo",
        messages: [
          { role: "user", content: "an earlier question" },
          { role: "user", content: text },
        ],
      })
      .withResponse()
      .then(({ response }) => response.headers.get("x-palyra-run-id") ?? "");

  it("adds nothing when capture is off (the default)", async () => {
    expect(await chat(gateway.httpBase, "quiet", "remember the harbour code")).not.toBe("");
    expect((await memory.listMemories({ agentId: "quiet" }, admin)).items).toEqual([]);
  });

  it("adds a captured agent's succeeded run once, with its run id and session, and no other agent's", async () => {
    const capturing = await startTestGateway({ configToml: 'version = 1\n[memory]\ncapture_agents = ["keeper"]\n' });
    try {
      const client = createClient(MemoryService, createGrpcTransport({ baseUrl: capturing.grpcBase }));
      await chat(capturing.httpBase, "other", "remember the harbour code");
      const runIds = [
        await chat(capturing.httpBase, "keeper", "remember the harbour code"),
        await chat(capturing.httpBase, "keeper", "remember the harbour code"),
      ];
      const items = await vi.waitFor(
        async () => {
          const { items } = await client.listMemories({ agentId: "keeper" }, admin);
          if (items.length === 0) throw new Error("not captured yet");
          return items;
        },
        { timeout: 30_000, interval: 20 },
      );
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ agentId: "keeper", sessionId: "s-1", text: "remember the harbour code\n\nremember the harbour code" });
      expect(runIds).toContain(items[0]?.runId);
      expect((await client.listMemories({ agentId: "other" }, admin)).items).toEqual([]);
    } finally {
      await capturing.stop();
    }
  });
});
