import http from "node:http";
import { performance } from "node:perf_hooks";

/** One timed operation: resolves with its timings in milliseconds, throws when it failed. */
export type Operation<T extends Timing> = () => Promise<T>;

export interface Timing {
  /** From the start of the request to the end of the response. */
  totalMs: number;
}

export interface HttpTiming extends Timing {
  /** From the start of the request to the first body bytes holding an SSE `data:` field. */
  firstDataMs: number;
  /** Body bytes received (to check that the gateway and the baseline answer alike). */
  bytes: number;
}

export interface HttpTarget {
  host: string;
  port: number;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A keep-alive connection pool for one phase; destroy it when the phase is over. */
export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: "fifo" });
}

/** Why an answer body is wrong, or undefined when it is right. */
export type AnswerCheck = (body: string) => string | undefined;

/**
 * POSTs `target.body` and reads the whole answer; only status 200 counts as success, with
 * `expectSse` only an answer that holds a `data:` field, and with `check` only an answer it accepts.
 * The body is kept only when there is a check, and the check runs after the clock stopped.
 */
export function httpPost(agent: http.Agent, target: HttpTarget, expectSse = false, check?: AnswerCheck): Operation<HttpTiming> {
  const body = Buffer.from(target.body, "utf8");
  const options: http.RequestOptions = {
    host: target.host,
    port: target.port,
    path: target.path,
    method: "POST",
    agent,
    headers: { ...target.headers, "content-length": body.length },
  };
  return () =>
    new Promise<HttpTiming>((resolve, reject) => {
      const started = performance.now();
      const request = http.request(options, (response) => {
        let firstDataMs = -1;
        let tail = "";
        let bytes = 0;
        const errorBody: Buffer[] = [];
        const answerBody: Buffer[] = [];
        response.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (response.statusCode !== 200) {
            errorBody.push(chunk);
            return;
          }
          if (check !== undefined) answerBody.push(chunk);
          if (firstDataMs < 0) {
            // A frame's "data:" may straddle two chunks; keep the end of the previous one.
            if (chunk.includes("data:") || (tail + chunk.toString("latin1", 0, 4)).includes("data:")) firstDataMs = performance.now() - started;
            else tail = chunk.toString("latin1", Math.max(0, chunk.length - 4));
          }
        });
        response.on("error", reject);
        response.on("end", () => {
          const totalMs = performance.now() - started;
          if (response.statusCode !== 200) {
            reject(new Error(`HTTP ${String(response.statusCode)}: ${Buffer.concat(errorBody).toString("utf8", 0, 300)}`));
            return;
          }
          if (expectSse && firstDataMs < 0) {
            reject(new Error(`HTTP 200 without any SSE data: field (${bytes} bytes)`));
            return;
          }
          const problem = check?.(Buffer.concat(answerBody).toString("utf8"));
          if (problem !== undefined) {
            reject(new Error(`wrong answer from ${target.host}:${target.port}: ${problem}`));
            return;
          }
          resolve({ totalMs, firstDataMs, bytes });
        });
      });
      request.on("error", reject);
      request.end(body);
    });
}

export interface ErrorTally {
  count: number;
  /** The first few distinct messages. */
  examples: string[];
}

function tallyError(errors: ErrorTally, error: unknown): void {
  errors.count++;
  const message = error instanceof Error ? error.message : String(error);
  if (errors.examples.length < 5 && !errors.examples.includes(message)) errors.examples.push(message);
}

export interface SequentialResult<T extends Timing> {
  samples: T[];
  errors: ErrorTally;
}

/** Concurrency 1: `warmup` discarded operations, then `count` measured ones, one after the other. */
export async function runSequential<T extends Timing>(operation: Operation<T>, warmup: number, count: number): Promise<SequentialResult<T>> {
  const errors: ErrorTally = { count: 0, examples: [] };
  const samples: T[] = [];
  for (let index = 0; index < warmup + count; index++) {
    try {
      const sample = await operation();
      if (index >= warmup) samples.push(sample);
    } catch (error) {
      tallyError(errors, error);
      if (errors.count >= 50 && samples.length === 0) break; // The target is down; do not spin.
    }
  }
  return { samples, errors };
}

export interface SaturationResult<T extends Timing> {
  concurrency: number;
  /** Wall time from the first request to the last answer, in seconds. */
  elapsedSeconds: number;
  completed: number;
  requestsPerSecond: number;
  samples: T[];
  errors: ErrorTally;
}

/**
 * `concurrency` workers issue operations back to back for `seconds` (after `warmupSeconds` of the
 * same load, not counted); operations in flight at the deadline still finish and count.
 */
export async function runSaturated<T extends Timing>(
  operation: Operation<T>,
  concurrency: number,
  seconds: number,
  warmupSeconds: number,
): Promise<SaturationResult<T>> {
  if (warmupSeconds > 0) await saturate(operation, concurrency, warmupSeconds);
  return saturate(operation, concurrency, seconds);
}

async function saturate<T extends Timing>(operation: Operation<T>, concurrency: number, seconds: number): Promise<SaturationResult<T>> {
  const errors: ErrorTally = { count: 0, examples: [] };
  const samples: T[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      try {
        samples.push(await operation());
      } catch (error) {
        tallyError(errors, error);
        if (errors.count >= 50 * concurrency && samples.length === 0) return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedSeconds = (performance.now() - started) / 1000;
  return { concurrency, elapsedSeconds, completed: samples.length, requestsPerSecond: samples.length / elapsedSeconds, samples, errors };
}

export interface CountedResult {
  concurrency: number;
  /** Operations that succeeded (errors are tallied apart). */
  completed: number;
  elapsedSeconds: number;
  /** Whether the time cap ended the run before `total` operations. */
  capped: boolean;
  errors: ErrorTally;
}

/**
 * `concurrency` workers issue `total` operations between them, back to back, keeping no samples (a
 * soak of 100k requests must not grow the harness); `onCount(n)` runs as the n-th operation ends, for
 * each n in `checkpoints`. The run stops early at `maxSeconds`, with the count it reached.
 */
export async function runCounted(
  operation: Operation<Timing>,
  concurrency: number,
  total: number,
  maxSeconds: number,
  checkpoints: readonly number[],
  onCount: (count: number) => void,
): Promise<CountedResult> {
  const errors: ErrorTally = { count: 0, examples: [] };
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  let issued = 0;
  let ended = 0;
  let completed = 0;
  let capped = false;
  const worker = async () => {
    while (issued < total) {
      if (performance.now() >= deadline) {
        capped = true;
        return;
      }
      issued++;
      try {
        await operation();
        completed++;
      } catch (error) {
        tallyError(errors, error);
        if (errors.count >= 50 * concurrency && completed === 0) return;
      }
      ended++;
      if (checkpoints.includes(ended)) onCount(ended);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { concurrency, completed, elapsedSeconds: (performance.now() - started) / 1000, capped, errors };
}
