import { GatewayError, toGatewayError } from "../shared/errors.js";
import type { Logger } from "../shared/logger.js";
import { type PeriodicTask, startPeriodicTask } from "../shared/periodic-task.js";
import type { ModelRegistry, RegisteredProvider } from "./model-registry.js";

/** What probing a provider's model listing found. */
export type ConnectionOutcome = "ok" | "auth_failed" | "rate_limited" | "endpoint_failed" | "timeout" | "blocked" | "not_applicable";

export type HealthState = "unknown" | "ok" | "degraded" | "down";

/** The last health check of one provider. */
export interface HealthRecord {
  state: HealthState;
  checkedAt?: Date;
  detail: string;
  latencyMs?: number;
}

export interface ProbeResult {
  providerId: string;
  outcome: ConnectionOutcome;
  latencyMs: number;
  detail: string;
  /** The upstream model names listed; empty unless the outcome is ok. */
  models: string[];
}

export const defaultProbeTimeoutMs = 5000;

/** Maps a probe's failure (undefined: it succeeded) to what it says about the connection. */
export function classifyProbe(error: unknown): ConnectionOutcome {
  if (error === undefined) return "ok";
  // The network guard's refusal may arrive wrapped in fetch's own error; look through the causes.
  if (causes(error).some((cause) => (cause as { code?: unknown }).code === "address_blocked")) return "blocked";
  if (error instanceof DOMException && error.name === "TimeoutError") return "timeout";
  if (!(error instanceof GatewayError)) return "endpoint_failed";
  switch (error.kind) {
    case "auth":
    case "permission":
      return "auth_failed";
    case "rate_limit":
    case "quota":
      return "rate_limited";
    case "timeout":
      return "timeout";
    default:
      return "endpoint_failed";
  }
}

/** Orders candidates by health: ok and unknown first (0), then degraded (1), then down (2). */
export function healthRank(state: HealthState): number {
  return state === "degraded" ? 1 : state === "down" ? 2 : 0;
}

/** What a probe outcome means for the provider's health: a rate limit still answers, so it is only degraded. */
function stateAfter(outcome: ConnectionOutcome): HealthState {
  if (outcome === "ok" || outcome === "not_applicable") return "ok";
  return outcome === "rate_limited" ? "degraded" : "down";
}

const notChecked: HealthRecord = { state: "unknown", detail: "not checked yet" };

/**
 * Each provider's health, as measured by listing its models: on demand (TestConnection, Discover)
 * and, once started, in the background every interval.
 */
export class ProviderHealth {
  private readonly records = new Map<string, HealthRecord>();
  private background: PeriodicTask | undefined;

  stateOf(providerId: string): HealthRecord {
    return this.records.get(providerId) ?? notChecked;
  }

  /**
   * Lists the provider's models within `timeoutMs` and records what that says about its health.
   * Aborting `signal` cancels the probe without recording anything.
   */
  async probe(provider: RegisteredProvider, timeoutMs = defaultProbeTimeoutMs, signal?: AbortSignal): Promise<ProbeResult> {
    const { providerId, client } = provider;
    if (client.listModels === undefined) {
      const detail = `nothing to probe: the ${provider.kind} provider lists no models`;
      this.records.set(providerId, { state: "ok", checkedAt: new Date(), detail });
      return { providerId, outcome: "not_applicable", latencyMs: 0, detail, models: [] };
    }
    const limit = AbortSignal.timeout(timeoutMs);
    const probeSignal = signal === undefined ? limit : AbortSignal.any([limit, signal]);
    const started = performance.now();
    let models: string[] = [];
    let failure: unknown;
    try {
      models = await untilAborted(client.listModels(probeSignal), probeSignal);
    } catch (error) {
      failure = error;
    }
    const latencyMs = Math.round(performance.now() - started);
    const outcome = classifyProbe(failure);
    const detail = describe(outcome, failure, models.length, providerId, timeoutMs);
    if (signal?.aborted !== true) this.records.set(providerId, { state: stateAfter(outcome), checkedAt: new Date(), detail, latencyMs });
    return { providerId, outcome, latencyMs, detail, models };
  }

  /**
   * Re-checks every enabled provider every `intervalMs` (the first time one interval from now),
   * logging when a provider's state changes. A check still running when the next is due delays it.
   */
  startBackgroundChecks(registry: ModelRegistry, intervalMs: number, logger: Logger): void {
    if (this.background !== undefined) return;
    this.background = startPeriodicTask(
      async (signal) => {
        const providers = registry.listProviders().filter((provider) => provider.enabled);
        await Promise.all(providers.map((provider) => this.checkInBackground(provider, logger, signal)));
      },
      intervalMs,
      (error) => logger.error({ err: error }, "provider health check failed"),
    );
  }

  /** Stops the background checks, aborting one under way. */
  async stop(): Promise<void> {
    const background = this.background;
    this.background = undefined;
    await background?.stop();
  }

  private async checkInBackground(provider: RegisteredProvider, logger: Logger, signal: AbortSignal): Promise<void> {
    const before = this.stateOf(provider.providerId).state;
    const result = await this.probe(provider, defaultProbeTimeoutMs, signal);
    const after = this.stateOf(provider.providerId).state;
    if (signal.aborted || after === before) return;
    const fields = { providerId: provider.providerId, state: after, previous: before, detail: result.detail };
    if (after === "ok") logger.info(fields, "provider is healthy");
    else logger.warn(fields, `provider is ${after}`);
  }
}

/** The detail line for a probe: how many models were listed, or why the probe failed. */
function describe(outcome: ConnectionOutcome, failure: unknown, modelCount: number, providerId: string, timeoutMs: number): string {
  if (outcome === "ok") return `listed ${modelCount} model${modelCount === 1 ? "" : "s"}`;
  if (failure instanceof DOMException && failure.name === "TimeoutError") return `provider "${providerId}" did not answer within ${timeoutMs} ms`;
  return toGatewayError(failure).message;
}

/** The promise's result, or a rejection with the signal's reason as soon as it aborts — even if the promise ignores it. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; typeof current === "object" && current !== null && chain.length < 8; current = (current as { cause?: unknown }).cause) {
    chain.push(current);
  }
  return chain;
}
