// Launchers for the fake OpenAI upstream and the pass-through proxy, each in its own process.
import { type ListeningReply, type ServerProcess, startServerProcess } from "./server-process.js";

export type { ListeningReply };

/** What the fake upstream reports when asked: requests it answered, by kind. */
export interface FakeUpstreamStats {
  type: "stats";
  /** POST /v1/chat/completions with "stream":true, answered as SSE. */
  chatStreamed: number;
  /** POST /v1/chat/completions without it, answered as JSON. */
  chatJson: number;
  models: number;
  /** Answered 401 (wrong or missing key) or 404 (unknown path). */
  rejected: number;
}

export interface FakeUpstreamProcess extends ServerProcess {
  stats(): Promise<FakeUpstreamStats>;
}

/** Forks bench/fake-upstream.ts and resolves once it listens on 127.0.0.1. */
export async function startFakeUpstream(): Promise<FakeUpstreamProcess> {
  const server = await startServerProcess(new URL("./fake-upstream.ts", import.meta.url), "fake upstream", { type: "setup" });
  return { ...server, stats: () => server.ask<FakeUpstreamStats>({ type: "stats" }) };
}

/** What the harness sends the proxy process: where the fake upstream listens. */
export interface ProxySetup {
  type: "setup";
  upstreamPort: number;
}

/** Forks bench/passthrough-proxy.ts in front of the fake upstream and resolves once it listens. */
export async function startPassthroughProxy(upstreamPort: number): Promise<ServerProcess> {
  const setup: ProxySetup = { type: "setup", upstreamPort };
  return startServerProcess(new URL("./passthrough-proxy.ts", import.meta.url), "pass-through proxy", setup);
}
