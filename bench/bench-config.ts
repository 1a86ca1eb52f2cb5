// What a bench run does: its mode (full, --smoke, --profile), its counts, and the daemon's palyra.toml.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { upstreamApiKey, upstreamModel } from "./fake-reply.js";

export class BenchError extends Error {}

export const adminToken = "bench-token";
/** The gateway model served by the openai_compatible provider in front of the fake upstream. */
export const fakeModel = "fake-gpt";
export const fakeProviderId = "fake-openai";
export const prompt = "Say hello to the benchmark in a few words.";

export interface BenchSettings {
  mode: "full" | "smoke";
  /** Run the main daemon under `node --cpu-prof` and print its top functions. */
  profile: boolean;
  resultsPath: string;
  /** Where --profile writes the daemon's .cpuprofile files. */
  profileDir: string;
  /** Measured requests (and RunStream runs) per concurrency-1 phase, after `warmupRequests`. */
  requests: number;
  warmupRequests: number;
  /** Length of each saturation phase, after `warmupSeconds`. */
  seconds: number;
  warmupSeconds: number;
  concurrency: number;
  /** The soak: requests at `concurrency` with RSS noted after `soakCheckpoint` and at the end. */
  soakRequests: number;
  soakCheckpoint: number;
  /** The soak stops here even short of soakRequests, and reports the count it reached. */
  soakSeconds: number;
  /** Daemon starts timed (spawn to ready), and `palyra models list` runs timed; medians are reported. */
  startups: number;
  cliRuns: number;
  budgetAdmissions: number;
  budgetLedgerRows: number;
  /** Memory journal sizes search is timed at, and searches per mode at each. */
  memoryItems: number[];
  memorySearches: number;
  /** The metrics microbench: simulated requests per timed round, and rounds (the median round is reported). */
  metricsRequests: number;
  metricsRounds: number;
}

function positiveNumberFromEnv(name: string, fallback: number, integer: boolean): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new BenchError(`${name} must be a positive ${integer ? "integer" : "number"}, got ${JSON.stringify(text)}`);
  }
  return value;
}

const usage = "usage: npm run bench [-- --smoke] [-- --profile] [-- --out PATH]";

/** Reads the flags (--smoke, --profile, --out PATH) and the BENCH_* variables of the full run. */
export function benchSettings(args: readonly string[]): BenchSettings {
  let smoke = false;
  let profile = false;
  let out: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    if (arg === "--smoke") smoke = true;
    else if (arg === "--profile") profile = true;
    else if (arg === "--out" && args[index + 1] !== undefined) out = args[++index];
    else throw new BenchError(`unknown argument ${JSON.stringify(arg)}\n${usage}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const profileDir = fileURLToPath(new URL(`./results/profiles/${stamp}`, import.meta.url));
  // A smoke run checks that every phase still works, in seconds; its figures mean nothing.
  if (smoke) {
    return {
      mode: "smoke",
      profile,
      resultsPath: out ?? join(tmpdir(), `palyra-bench-smoke-${process.pid}.json`),
      profileDir,
      requests: 20,
      warmupRequests: 5,
      seconds: 0.2,
      warmupSeconds: 0.1,
      concurrency: 4,
      soakRequests: 100,
      soakCheckpoint: 50,
      soakSeconds: 60,
      startups: 1,
      cliRuns: 1,
      budgetAdmissions: 20,
      budgetLedgerRows: 100,
      memoryItems: [100],
      memorySearches: 3,
      metricsRequests: 2000,
      metricsRounds: 3,
    };
  }
  return {
    mode: "full",
    profile,
    // A profiled run is slower than a plain one; its figures do not replace latest.json.
    resultsPath: out ?? (profile ? join(profileDir, "results.json") : fileURLToPath(new URL("./results/latest.json", import.meta.url))),
    profileDir,
    requests: positiveNumberFromEnv("BENCH_REQUESTS", 2000, true),
    warmupRequests: positiveNumberFromEnv("BENCH_WARMUP", 300, true),
    seconds: positiveNumberFromEnv("BENCH_SECONDS", 5, false),
    warmupSeconds: 1,
    concurrency: positiveNumberFromEnv("BENCH_CONCURRENCY", 32, true),
    soakRequests: positiveNumberFromEnv("BENCH_SOAK_REQUESTS", 100_000, true),
    soakCheckpoint: 10_000,
    soakSeconds: positiveNumberFromEnv("BENCH_SOAK_SECONDS", 90, false),
    startups: 5,
    cliRuns: 5,
    budgetAdmissions: positiveNumberFromEnv("BENCH_BUDGET_ADMISSIONS", 2000, true),
    budgetLedgerRows: positiveNumberFromEnv("BENCH_BUDGET_LEDGER_ROWS", 1_000_000, true),
    memoryItems: [1000, positiveNumberFromEnv("BENCH_MEMORY_ITEMS", 100_000, true)],
    memorySearches: 10,
    metricsRequests: 200_000,
    metricsRounds: 7,
  };
}

/**
 * The daemon's palyra.toml: an openai_compatible provider in front of the fake upstream with the
 * `fake-gpt` model on it, priced; the deterministic `palyra-echo` beside it, so smart routing has two
 * candidates to weigh; routing in `suggest` mode and two global budget policies whose limits no run
 * reaches, so every run is routed, admitted (its worst case reserved) and settled as in production
 * (DESIGN.md §6). Loopback is a special address range: the provider opts in with allow_private_base_url.
 */
export function daemonConfig(upstreamPort: number): string {
  return `version = 1

[model_provider]
default_chat_model_id = "${fakeModel}"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "${fakeProviderId}"
kind = "openai_compatible"
base_url = "http://127.0.0.1:${upstreamPort}/v1"
api_key = "${upstreamApiKey}"
allow_private_base_url = true

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"
cost_tier = 0
latency_tier = 0

[[model_provider.models]]
model_id = "${fakeModel}"
provider_id = "${fakeProviderId}"
upstream_model = "${upstreamModel}"

[[usage.pricing]]
model_id = "${fakeModel}"
input_per_mtok = 0.15
output_per_mtok = 0.6

[usage.smart_routing]
enabled = true
mode = "suggest"

[[usage.budgets]]
policy_id = "bench-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "monthly"
hard_limit_value = 1e15

[[usage.budgets]]
policy_id = "bench-usd"
scope_kind = "global"
metric_kind = "usd_cost"
interval_kind = "daily"
soft_limit_value = 1e8
hard_limit_value = 1e9
`;
}

/** The config as recorded in the results: the upstream key redacted. */
export function redactedDaemonConfig(upstreamPort: number): string {
  return daemonConfig(upstreamPort).replace(`api_key = "${upstreamApiKey}"`, 'api_key = "<redacted>"');
}
