import type { DescMethod, DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { maxAudioBytes } from "../runs/unary-input.js";

/**
 * The largest request message each procedure takes, checked by Connect from a message's length prefix
 * (or Content-Length) before it buffers anything. Calls that carry prompts get the daemon's body limit
 * (as /v1 does); a transcription its audio; everything else a small fixed cap.
 */
export interface ReceiveLimits {
  /** [daemon] max_request_body_bytes: prompts, embeddings batches, routing explanations. */
  maxBodyBytes: number;
}

/** Requests that name things (ids, settings, secrets): nothing legitimate comes near this. */
const smallMessageBytes = 1024 * 1024;
/** An audio file plus the transcription's few other fields. */
const transcriptionBytes = maxAudioBytes + 64 * 1024;

const promptCarrying = new Set(["RunStream", "Embed", "ExplainRouting"]);

/** The limit for one procedure. */
export function receiveLimitOf(method: DescMethod, limits: ReceiveLimits): number {
  if (method.name === "Transcribe") return transcriptionBytes;
  return promptCarrying.has(method.name) ? limits.maxBodyBytes : smallMessageBytes;
}

/** Registers a service method by method, each with its own receive limit. */
export function registerService<S extends DescService>(router: ConnectRouter, service: S, implementation: ServiceImpl<S>, limits: ReceiveLimits): void {
  for (const method of service.methods) {
    const impl = (implementation as Record<string, unknown>)[method.localName];
    // ServiceImpl<S> holds exactly one implementation per method of S, under its local name.
    router.rpc(method, impl as Parameters<ConnectRouter["rpc"]>[1], { readMaxBytes: receiveLimitOf(method, limits) });
  }
}
