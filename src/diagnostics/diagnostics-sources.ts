import type { GatewayConfig } from "../config/schema.js";
import type { DiagnosticsSources } from "./collect-diagnostics.js";
import type { EventLoopLagMonitor } from "./event-loop-lag.js";
import { knownSecretValues } from "./known-secrets.js";

/** The sources only diagnostics read, as main.ts hands them over: event-loop lag, scheduler state, secrets to mask. */
export function diagnosticsSources(parts: {
  /** The config in force (a reload replaces it). */
  config: () => GatewayConfig;
  env: NodeJS.ProcessEnv;
  adminToken: string;
  eventLoop: EventLoopLagMonitor;
  automation: { readonly schedulerState: string };
}): Pick<DiagnosticsSources, "eventLoopLag" | "schedulerState" | "knownSecrets"> {
  const { config, env, adminToken, eventLoop, automation } = parts;
  return {
    eventLoopLag: () => eventLoop.lag(),
    schedulerState: () => automation.schedulerState,
    knownSecrets: () => knownSecretValues({ config: config(), env, adminToken }),
  };
}
