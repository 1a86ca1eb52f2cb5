import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  type GetMemoryStatusResponseSchema,
  type MemoryItemSchema,
  SearchMode as ProtoSearchMode,
  MemorySource as ProtoSource,
  type SystemJobStatusSchema,
} from "../../../gen/es/palyra/gateway/v1/memory_pb.js";
import type { MatchedBy } from "../../memory/hybrid-score.js";
import type { MemoryItem } from "../../memory/memory-item.js";
import type { SearchMode } from "../../memory/memory-search.js";
import type { MemoryStatus, SystemJobStatus } from "../../memory/memory-status.js";
import { invalidRequest } from "../../shared/errors.js";
import type { MemorySource } from "../../store/memory-tables.js";

const sourceToProto: Record<MemorySource, ProtoSource> = {
  manual: ProtoSource.MANUAL,
  import: ProtoSource.IMPORT,
  run: ProtoSource.RUN,
};

const modeToProto: Record<SearchMode | MatchedBy, ProtoSearchMode> = {
  lexical: ProtoSearchMode.LEXICAL,
  semantic: ProtoSearchMode.SEMANTIC,
  hybrid: ProtoSearchMode.HYBRID,
};

/** A Retain's source: unset is manual (the core's default); RUN is refused by the core, naming the field. */
export function sourceFromProto(source: ProtoSource): MemorySource | undefined {
  switch (source) {
    case ProtoSource.UNSPECIFIED:
      return undefined;
    case ProtoSource.MANUAL:
      return "manual";
    case ProtoSource.IMPORT:
      return "import";
    case ProtoSource.RUN:
      return "run";
    default:
      throw invalidRequest("source", `unknown source ${source}`);
  }
}

/** A Search's mode: unset is hybrid (the core's default). */
export function searchModeFromProto(mode: ProtoSearchMode): SearchMode | undefined {
  switch (mode) {
    case ProtoSearchMode.UNSPECIFIED:
      return undefined;
    case ProtoSearchMode.LEXICAL:
      return "lexical";
    case ProtoSearchMode.SEMANTIC:
      return "semantic";
    case ProtoSearchMode.HYBRID:
      return "hybrid";
    default:
      throw invalidRequest("mode", `unknown mode ${mode}`);
  }
}

export function searchModeToProto(mode: SearchMode | MatchedBy): ProtoSearchMode {
  return modeToProto[mode];
}

export function memoryItemToProto(item: MemoryItem): MessageInitShape<typeof MemoryItemSchema> {
  return {
    memoryId: item.memoryId,
    agentId: item.agentId,
    sessionId: item.sessionId ?? "",
    source: sourceToProto[item.source],
    runId: item.runId ?? "",
    text: item.text,
    tags: item.tags,
    bytes: BigInt(item.bytes),
    createdAt: timestampFromMs(item.createdAt),
    ...(item.expiresAt !== undefined && { expiresAt: timestampFromMs(item.expiresAt) }),
    embeddingModelId: item.embeddingModelId ?? "",
  };
}

export function memoryStatusToProto(status: MemoryStatus): MessageInitShape<typeof GetMemoryStatusResponseSchema> {
  return {
    items: BigInt(status.items),
    bytes: BigInt(status.bytes),
    awaitingEmbedding: BigInt(status.awaitingEmbedding),
    embeddingModelId: status.embeddingModelId ?? "",
    ...(status.maintenance !== undefined && { maintenance: systemJobToProto(status.maintenance) }),
    ...(status.backfill !== undefined && { backfill: systemJobToProto(status.backfill) }),
    ...(status.audit !== undefined && { audit: systemJobToProto(status.audit) }),
  };
}

export function systemJobToProto(job: SystemJobStatus): MessageInitShape<typeof SystemJobStatusSchema> {
  return {
    jobId: job.jobId,
    ...(job.lastRunAt !== undefined && { lastRunAt: timestampFromMs(job.lastRunAt) }),
    ...(job.nextRunAt !== undefined && { nextRunAt: timestampFromMs(job.nextRunAt) }),
    lastStatus: job.lastStatus,
    lastMessage: job.lastMessage,
  };
}
