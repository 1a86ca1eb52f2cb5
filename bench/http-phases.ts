// The /v1/chat/completions phases: the fake upstream called directly, the bare node:http proxy in
// front of it, and the gateway in front of it; JSON and SSE; concurrency 1 (latency) and saturation
// (throughput). Each phase runs the references first, then the gateway, each with its own pool.
import type { BenchSettings } from "./bench-config.js";
import {
  type AnswerCheck,
  type ErrorTally,
  type HttpTarget,
  type HttpTiming,
  httpPost,
  keepAliveAgent,
  runSaturated,
  runSequential,
  type SaturationResult,
  type Timing,
} from "./load.js";
import { round, roundSummary, type Summary, summarize } from "./stats.js";

export const targetNames = ["direct", "proxy", "gateway"] as const;
export type TargetName = (typeof targetNames)[number];

/** Where one target listens, and what it is sent and must answer, for JSON and for SSE. */
export interface ChatTarget {
  target: Omit<HttpTarget, "body">;
  json: { body: string; check: AnswerCheck };
  sse: { body: string; check: AnswerCheck };
}

export interface ThroughputEntry {
  concurrency: number;
  seconds: number;
  completed: number;
  requestsPerSecond: number;
  /** Latency of each request under that load. */
  latency: Summary;
}

export interface ChatResults {
  /** Concurrency 1, JSON: request to end of answer. */
  jsonLatency: Record<TargetName, Summary>;
  /** Concurrency 1, SSE: to the first `data:` (time to first token), and to the end of the stream. */
  sseFirstData: Record<TargetName, Summary>;
  sseTotal: Record<TargetName, Summary>;
  jsonThroughput: Record<TargetName, ThroughputEntry>;
  sseThroughput: Record<TargetName, ThroughputEntry>;
}

export interface PhaseContext {
  settings: BenchSettings;
  progress(message: string): void;
  /** Failed requests of every phase, added up. */
  absorb(errors: ErrorTally): void;
  /** Called with each request a target is sent, so the upstream's own count can be checked. */
  count(target: TargetName, requests: number): void;
  /** Called after each phase (for the daemon's RSS trail). */
  afterPhase(name: string): void;
}

export function throughputEntry(result: SaturationResult<Timing>): ThroughputEntry {
  return {
    concurrency: result.concurrency,
    seconds: round(result.elapsedSeconds),
    completed: result.completed,
    requestsPerSecond: round(result.requestsPerSecond, 1),
    latency: roundSummary(summarize(result.samples.map((sample) => sample.totalMs))),
  };
}

async function sequential(context: PhaseContext, name: TargetName, target: HttpTarget, sse: boolean, check: AnswerCheck): Promise<HttpTiming[]> {
  const { requests, warmupRequests } = context.settings;
  context.progress(`${name}, ${sse ? "SSE" : "JSON"}: ${warmupRequests} + ${requests} requests at concurrency 1`);
  const agent = keepAliveAgent(1);
  try {
    const post = httpPost(agent, target, sse, check);
    const result = await runSequential(
      () => {
        context.count(name, 1);
        return post();
      },
      warmupRequests,
      requests,
    );
    context.absorb(result.errors);
    return result.samples;
  } finally {
    agent.destroy();
  }
}

async function saturated(context: PhaseContext, name: TargetName, target: HttpTarget, sse: boolean, check: AnswerCheck): Promise<ThroughputEntry> {
  const { concurrency, seconds, warmupSeconds } = context.settings;
  context.progress(`${name}, ${sse ? "SSE" : "JSON"}: ${warmupSeconds} s + ${seconds} s at concurrency ${concurrency}`);
  const agent = keepAliveAgent(concurrency);
  try {
    const post = httpPost(agent, target, sse, check);
    const result = await runSaturated(
      () => {
        context.count(name, 1);
        return post();
      },
      concurrency,
      seconds,
      warmupSeconds,
    );
    context.absorb(result.errors);
    return throughputEntry(result);
  } finally {
    agent.destroy();
  }
}

const totals = (samples: Timing[]) => roundSummary(summarize(samples.map((sample) => sample.totalMs)));
const firstData = (samples: HttpTiming[]) => roundSummary(summarize(samples.map((sample) => sample.firstDataMs)));

/** Runs the four chat phases (JSON and SSE, each at concurrency 1 and at saturation) against the three targets. */
export async function runChatPhases(context: PhaseContext, targets: Record<TargetName, ChatTarget>): Promise<ChatResults> {
  const each = async <T>(run: (name: TargetName, target: ChatTarget) => Promise<T>): Promise<Record<TargetName, T>> => {
    const results: Partial<Record<TargetName, T>> = {};
    for (const name of targetNames) results[name] = await run(name, targets[name]);
    return results as Record<TargetName, T>;
  };
  const jsonSamples = await each((name, { target, json }) => sequential(context, name, { ...target, body: json.body }, false, json.check));
  context.afterPhase("JSON, concurrency 1");
  const jsonThroughput = await each((name, { target, json }) => saturated(context, name, { ...target, body: json.body }, false, json.check));
  context.afterPhase(`JSON, concurrency ${context.settings.concurrency}`);
  const sseSamples = await each((name, { target, sse }) => sequential(context, name, { ...target, body: sse.body }, true, sse.check));
  context.afterPhase("SSE, concurrency 1");
  const sseThroughput = await each((name, { target, sse }) => saturated(context, name, { ...target, body: sse.body }, true, sse.check));
  context.afterPhase(`SSE, concurrency ${context.settings.concurrency}`);
  const map = <T, U>(record: Record<TargetName, T>, fn: (value: T) => U) =>
    Object.fromEntries(targetNames.map((name) => [name, fn(record[name])])) as Record<TargetName, U>;
  return {
    jsonLatency: map(jsonSamples, totals),
    sseFirstData: map(sseSamples, firstData),
    sseTotal: map(sseSamples, totals),
    jsonThroughput,
    sseThroughput,
  };
}
