import { appendFileSync, mkdtempSync } from "node:fs";
import http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type GrpcCase, hostileGrpcCase, sendGrpc } from "./support/hostile-grpc.js";
import { type HttpCase, hostileHttpCase } from "./support/hostile-http.js";
import { cleanEnv, type PalyraProcess, type ReadyLine, startDaemon } from "./support/palyra-process.js";
import { SeededRandom } from "./support/seeded-random.js";
import { probeForStalls } from "./support/stall-probe.js";

// Hundreds of generated malformed requests against the real daemon, as a process of its own: none may
// get a 5xx or an error of any other shape than OpenAI's (on /v1) or gRPC's, and none may stall the
// daemon for everyone else (/healthz keeps answering within 100 ms throughout). Seeded: a failure names
// its seed and case, and PALYRA_FUZZ_SEED=<seed> replays it (PALYRA_FUZZ_LOG=<file> logs each case's times).

const seed = Number(process.env.PALYRA_FUZZ_SEED ?? 20261202);
const httpCases = 240;
const grpcCases = 160;
const concurrency = 4;
const token = "fuzz-admin-token";

let daemon: PalyraProcess | undefined;
let ready: ReadyLine;
const warmUpProblems: string[] = [];

beforeAll(async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-fuzz-"));
  ({ daemon, ready } = await startDaemon(["--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"], {
    cwd: stateDir,
    env: cleanEnv({ PALYRA_ADMIN_TOKEN: token, PALYRA__DAEMON__LOG_LEVEL: "error" }),
  }));
  // The first request down each path compiles it (V8, zod, the tokenizer's expressions): a one-off
  // start-up cost, not a request holding the daemon. Cases of another seed warm the paths before judging.
  const random = new SeededRandom(seed + 1);
  for (let index = 0; index < 40; index++) {
    const made = hostileHttpCase(random, token);
    const problem = await checkHttp(made);
    if (problem !== undefined) warmUpProblems.push(`seed ${seed + 1} warm-up case ${index}: ${problem}`);
  }
});

afterAll(async () => {
  if (!daemon?.running) return;
  daemon.child.kill("SIGTERM");
  await daemon.exited;
});

/** Runs `count` generated cases, a few at a time, and returns what went wrong with each. */
async function fuzz<Case>(count: number, make: (random: SeededRandom) => Case, check: (made: Case) => Promise<string | undefined>): Promise<string[]> {
  const random = new SeededRandom(seed);
  const cases = Array.from({ length: count }, () => make(random));
  const problems: string[] = [];
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < cases.length; index = next++) {
      const started = Date.now();
      const problem = await check(cases[index] as Case).catch((error: unknown) => `threw ${String(error)}`);
      if (process.env.PALYRA_FUZZ_LOG)
        appendFileSync(process.env.PALYRA_FUZZ_LOG, `${started} ${Date.now()} ${(cases[index] as { name: string }).name.slice(0, 90)}\n`);
      if (problem !== undefined) problems.push(`seed ${seed} case ${index}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return problems;
}

async function checkHttp(made: HttpCase): Promise<string | undefined> {
  const response = await fetch(`http://${ready.http}${made.path}`, {
    method: made.method,
    headers: made.headers,
    ...(made.body !== undefined && { body: made.body }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  const said = `${made.name} -> ${response.status} ${text.slice(0, 200)}`;
  if (response.status >= 500) return said;
  if (response.status < 400) return undefined;
  // The OAuth callback is a page a browser lands on: it answers in HTML, by design.
  if (made.path.startsWith("/oauth/callback")) return response.headers.get("content-type")?.startsWith("text/html") ? undefined : `not a page: ${said}`;
  let body: { error?: Record<string, unknown> };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    return `not JSON: ${said}`;
  }
  const error = body.error;
  const shaped =
    typeof error?.message === "string" &&
    error.message !== "" &&
    typeof error.type === "string" &&
    (error.param === null || typeof error.param === "string") &&
    (error.code === null || typeof error.code === "string");
  return shaped ? undefined : `not an OpenAI error: ${said}`;
}

// Statuses a caller's mistake may get; INTERNAL, UNKNOWN and DATA_LOSS would be the server's fault.
const serverFaults = new Set(["2", "13", "15"]);

describe("hostile input", () => {
  it(`never answers /v1 with a 5xx or a body that is not an OpenAI error, nor stalls /healthz (${httpCases} requests)`, async () => {
    const probe = probeForStalls(`http://${ready.http}/healthz`, daemon?.child.pid ?? 0);
    const problems = await fuzz(httpCases, (random) => hostileHttpCase(random, token), checkHttp);
    const { probes, stalls } = await probe.stop();
    expect([...warmUpProblems, ...problems]).toEqual([]);
    expect(probes).toBeGreaterThan(10);
    expect(stalls).toEqual([]);
  });

  it(`never answers gRPC with INTERNAL, UNKNOWN or a stream reset without a status, nor stalls /healthz (${grpcCases} calls)`, async () => {
    // Node's client refuses new streams once it buffers 10 MB of its own uploads; some cases send 5 MB.
    const session = http2.connect(`http://${ready.grpc}`, { maxSessionMemory: 64 });
    session.on("error", () => {});
    const probe = probeForStalls(`http://${ready.http}/healthz`, daemon?.child.pid ?? 0);
    const problems = await fuzz(
      grpcCases,
      (random) => hostileGrpcCase(random, token),
      async (call: GrpcCase) => {
        const answer = await sendGrpc(session, call, 20_000);
        const said = `${call.name} -> HTTP ${answer.httpStatus}, grpc-status ${answer.grpcStatus} ${answer.grpcMessage.slice(0, 160)} (rst ${answer.rstCode})`;
        if (answer.httpStatus !== 200 || answer.grpcStatus === undefined) return `no gRPC status: ${said}`;
        if (serverFaults.has(answer.grpcStatus)) return said;
        if (answer.grpcStatus !== "0" && answer.grpcMessage === "") return `an error without a message: ${said}`;
        return undefined;
      },
    );
    const { probes, stalls } = await probe.stop();
    session.close();
    expect(problems).toEqual([]);
    expect(probes).toBeGreaterThan(10);
    expect(stalls).toEqual([]);
  });
});
