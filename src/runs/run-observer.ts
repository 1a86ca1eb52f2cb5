import type { RunEnd } from "./run-end.js";

/**
 * Told of what happens to runs, for counting (the Prometheus metrics implement it, above this layer;
 * main.ts passes it in). Called on the request path: an implementation must be cheap (no I/O, no
 * store reads) and must not throw. Every method is optional work for the engine: without an observer
 * runs pay nothing for it.
 */
export interface RunObserver {
  /** A run's end once it is recorded (any kind: chat, embeddings, transcription), with the agent it was attributed to. */
  runEnded(end: RunEnd, agentId: string | undefined): void;
  /** An upstream attempt failed (or its circuit refused it) and the run retries, fails over, or gives up. */
  attemptFailed(providerId: string, modelId: string, next: "retry" | "failover" | "give_up"): void;
  /** The response cache was asked for a chat run's answer (only runs that may be cached ask). */
  cacheLookup(modelId: string, hit: boolean): void;
}
