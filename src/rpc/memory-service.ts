import type { ServiceImpl } from "@connectrpc/connect";
import type { MemoryService } from "../../gen/es/palyra/gateway/v1/memory_pb.js";
import type { MemoryJournal } from "../memory/memory-journal.js";
import { requireCaller } from "./caller-context.js";
import { memoryItemToProto, memoryStatusToProto, searchModeFromProto, searchModeToProto, sourceFromProto } from "./convert/memory-to-proto.js";

/** MemoryService: agents' journals. Thin: MemoryJournal checks who reaches which agent and validates. */
export function createMemoryService(journal: MemoryJournal): ServiceImpl<typeof MemoryService> {
  return {
    async retain(request, context) {
      const { item, created } = await journal.retain(requireCaller(context), {
        agentId: request.agentId,
        sessionId: request.sessionId,
        text: request.text,
        tags: request.tags,
        // Beyond 2^53 ms it is past any bound the core allows; it says so naming ttl_ms.
        ttlMs: Number(request.ttlMs),
        source: sourceFromProto(request.source),
      });
      return { item: memoryItemToProto(item), created };
    },
    async search(request, context) {
      const caller = requireCaller(context);
      const request_ = {
        agentId: request.agentId,
        query: request.query,
        k: request.k,
        mode: searchModeFromProto(request.mode),
        tags: request.tags,
        sessionId: request.sessionId,
      };
      const { hits, mode } = await journal.search(caller, request_, context.signal);
      return {
        hits: hits.map((hit) => ({ item: memoryItemToProto(hit.item), score: hit.score, matchedBy: searchModeToProto(hit.matchedBy) })),
        mode: searchModeToProto(mode),
      };
    },
    async getMemory(request, context) {
      return { item: memoryItemToProto(await journal.get(requireCaller(context), request.memoryId)) };
    },
    async deleteMemory(request, context) {
      return { deleted: await journal.delete(requireCaller(context), request.memoryId) };
    },
    async listMemories(request, context) {
      const page = await journal.list(requireCaller(context), {
        agentId: request.agentId,
        sessionId: request.sessionId,
        tags: request.tags,
        pageSize: request.pageSize,
        pageToken: request.pageToken,
      });
      return { items: page.items.map(memoryItemToProto), nextPageToken: page.nextPageToken };
    },
    async getMemoryStatus(request, context) {
      return memoryStatusToProto(await journal.status(requireCaller(context), request.agentId));
    },
  };
}
