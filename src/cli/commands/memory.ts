import { type Command, InvalidArgumentError } from "commander";
import {
  DeleteMemoryResponse,
  GetMemoryResponse,
  GetMemoryStatusResponse,
  ListMemoriesResponse,
  type MemoryItem,
  memorySourceToJSON,
  RetainResponse,
  SearchMode,
  SearchResponse,
  type SystemJobStatus,
  searchModeToJSON,
} from "../../../gen/grpc-js/palyra/gateway/v1/memory.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { parseDurationSeconds } from "../duration.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine } from "../output.js";

interface RetainFlags extends ClientFlags {
  agentId: string;
  text: string;
  sessionId?: string;
  tag: string[];
  ttl?: number;
}

interface SearchFlags extends ClientFlags {
  agentId: string;
  k?: number;
  mode?: SearchMode;
  tag: string[];
  sessionId?: string;
}

interface ListFlags extends ClientFlags {
  agentId?: string;
  sessionId?: string;
  tag: string[];
  pageSize?: number;
  pageToken?: string;
}

interface StatusFlags extends ClientFlags {
  agentId?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** palyra memory retain | search | list | show | delete | status: the MemoryService RPCs. */
export function registerMemoryCommand(memory: Command): void {
  addClientFlags(memory.command("retain").description("add an item to an agent's journal (the same text is kept once)"))
    .requiredOption("--agent-id <id>", "whose journal (a key bound to an agent names its own)")
    .requiredOption("--text <text>", "what to remember")
    .option("--session-id <id>", "the session it belongs to")
    .option("--tag <tag>", "a tag; repeat for more (at most 32)", collect, [])
    .option("--ttl <duration>", "forget it after this long, such as 7d or 12h (default: keep)", parseDurationSeconds)
    .action(async (flags: RetainFlags) => {
      const request = {
        agentId: flags.agentId,
        text: flags.text,
        sessionId: flags.sessionId ?? "",
        tags: flags.tag,
        ttlMs: (flags.ttl ?? 0) * 1000,
        source: 0,
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<RetainResponse>((done) => client.retain(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(RetainResponse.toJSON(response));
      printLine(`${response.created ? "retained" : "already kept"} ${response.item?.memoryId ?? ""}`);
    });

  addClientFlags(memory.command("search").description("find an agent's memories by words and meaning"))
    .argument("<query>", "what to look for")
    .requiredOption("--agent-id <id>", "whose journal")
    .option("--k <n>", "hits to return, 1-100 (default: 10)", positiveInteger)
    .option("--mode <mode>", "lexical, semantic or hybrid (default: hybrid)", parseMode)
    .option("--tag <tag>", "only items with this tag; repeat for more", collect, [])
    .option("--session-id <id>", "only this session's items")
    .action(async (query: string, flags: SearchFlags) => {
      const request = {
        agentId: flags.agentId,
        query,
        k: flags.k ?? 0,
        mode: flags.mode ?? SearchMode.SEARCH_MODE_UNSPECIFIED,
        tags: flags.tag,
        sessionId: flags.sessionId ?? "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<SearchResponse>((done) => client.search(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(SearchResponse.toJSON(response));
      const rows = response.hits.map((hit) => [
        hit.score.toFixed(3),
        enumLabel(searchModeToJSON(hit.matchedBy), "SEARCH_MODE_"),
        hit.item?.memoryId ?? "",
        oneLine(hit.item?.text ?? ""),
      ]);
      printLine(formatTable(["score", "matched by", "id", "text"], rows));
    });

  addClientFlags(memory.command("list").description("list memories, newest first"))
    .option("--agent-id <id>", "whose journal (the admin may leave it out for every agent's)")
    .option("--session-id <id>", "only this session's items")
    .option("--tag <tag>", "only items with this tag; repeat for more", collect, [])
    .option("--page-size <n>", "items per page, 1-500 (default: 50)", positiveInteger)
    .option("--page-token <token>", "the next page, as an earlier list printed it")
    .action(async (flags: ListFlags) => {
      const request = {
        agentId: flags.agentId ?? "",
        sessionId: flags.sessionId ?? "",
        tags: flags.tag,
        pageSize: flags.pageSize ?? 0,
        pageToken: flags.pageToken ?? "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<ListMemoriesResponse>((done) => client.listMemories(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListMemoriesResponse.toJSON(response));
      const rows = response.items.map((item) => [
        item.memoryId,
        item.agentId,
        sourceOf(item),
        formatTime(item.createdAt),
        item.tags.join(",") || "-",
        oneLine(item.text),
      ]);
      printLine(formatTable(["id", "agent", "source", "created", "tags", "text"], rows));
      if (response.nextPageToken) printLine(`more: --page-token ${response.nextPageToken}`);
    });

  addClientFlags(memory.command("show").description("show one memory"))
    .argument("<id>", "the memory id (from memory list or search)")
    .action(async (memoryId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<GetMemoryResponse>((done) => client.getMemory({ memoryId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(GetMemoryResponse.toJSON(response));
      if (response.item !== undefined) printItem(response.item);
    });

  addClientFlags(memory.command("delete").description("delete one memory"))
    .argument("<id>", "the memory id")
    .action(async (memoryId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<DeleteMemoryResponse>((done) => client.deleteMemory({ memoryId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(DeleteMemoryResponse.toJSON(response));
      printLine(response.deleted ? `deleted ${memoryId}` : `${memoryId} was already gone`);
    });

  addClientFlags(memory.command("status").description("the journal's size, its embedding backlog and its system jobs"))
    .option("--agent-id <id>", "one agent's figures (default: every agent's, for the admin)")
    .action(async (flags: StatusFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.memory();
        return callUnary<GetMemoryStatusResponse>((done) =>
          client.getMemoryStatus({ agentId: flags.agentId ?? "" }, clients.metadata(), clients.unaryOptions(), done),
        );
      });
      if (flags.json) return printJson(GetMemoryStatusResponse.toJSON(response));
      printLine(`items:              ${response.items}`);
      printLine(`bytes:              ${response.bytes}`);
      printLine(`awaiting embedding: ${response.awaitingEmbedding}`);
      printLine(`embeddings model:   ${response.embeddingModelId || "(none configured)"}`);
      for (const [label, job] of [
        ["maintenance", response.maintenance],
        ["backfill", response.backfill],
        ["audit", response.audit],
      ] as const) {
        printLine(`${`${label}:`.padEnd(20)}${describeJob(job)}`);
      }
    });
}

function parseMode(value: string): SearchMode {
  const modes: Record<string, SearchMode> = {
    lexical: SearchMode.SEARCH_MODE_LEXICAL,
    semantic: SearchMode.SEARCH_MODE_SEMANTIC,
    hybrid: SearchMode.SEARCH_MODE_HYBRID,
  };
  const mode = modes[value.trim().toLowerCase()];
  if (mode === undefined) throw new InvalidArgumentError("must be lexical, semantic or hybrid");
  return mode;
}

const sourceOf = (item: MemoryItem) => enumLabel(memorySourceToJSON(item.source), "MEMORY_SOURCE_");

/** Text for a table cell: one line, cut to a readable width. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 80 ? `${flat.slice(0, 79)}…` : flat;
}

function describeJob(job: SystemJobStatus | undefined): string {
  if (job === undefined) return "-";
  return `last ${formatTime(job.lastRunAt)} ${job.lastStatus || "-"}${job.lastMessage ? ` (${job.lastMessage})` : ""}, next ${formatTime(job.nextRunAt)}`;
}

function printItem(item: MemoryItem): void {
  const lines: [string, string][] = [
    ["memory", item.memoryId],
    ["agent", item.agentId],
    ["session", item.sessionId || "-"],
    ["source", sourceOf(item)],
    ["run", item.runId || "-"],
    ["tags", item.tags.join(", ") || "-"],
    ["bytes", String(item.bytes)],
    ["created", formatTime(item.createdAt)],
    ["expires", formatTime(item.expiresAt, "never")],
    ["embedded with", item.embeddingModelId || "(waiting)"],
  ];
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) printLine(`${`${label}:`.padEnd(width + 2)}${value}`);
  printLine();
  printLine(item.text);
}
