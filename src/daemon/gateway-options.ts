import type { Logger } from "../shared/logger.js";
import type { ReloadOutcome } from "./config-reload.js";

/** What starts a daemon (main.ts's startGateway): flags, environment and the clocks tests move. */
export interface GatewayOptions {
  /** --config; falls back to PALYRA_CONFIG, then the default locations. */
  configPath?: string | undefined;
  /** --state-dir; falls back to PALYRA_STATE_ROOT, then ./.palyra. */
  stateDir?: string | undefined;
  /** --grpc-bind; falls back to PALYRA_GRPC_BIND, then [daemon].grpc_bind, then 127.0.0.1:7142. */
  grpcBind?: string | undefined;
  /** --http-bind; falls back to PALYRA_HTTP_BIND, then [daemon].http_bind, then 127.0.0.1:7143. */
  httpBind?: string | undefined;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The clock the circuit breakers read (default Date.now): tests move it to end a cooldown instead of waiting one out. */
  circuitClock?: () => number;
  /** The clock console sessions expire on (default Date.now): tests move it to end a session. */
  consoleClock?: () => number;
}

/** A started daemon: where it listens, and how to reload and stop it. */
export interface RunningGateway {
  /** "host:port" the gRPC/Connect listener is bound to. */
  grpcAddress: string;
  /** "host:port" the HTTP (/v1) listener is bound to. */
  httpAddress: string;
  stateDir: string;
  adminToken: string;
  logger: Logger;
  /** Re-reads the config file and applies what can change while running (daemon/config-reload.ts); refuses an invalid one, changing nothing. */
  reload(): Promise<ReloadOutcome>;
  /** Stops accepting, lets in-flight runs finish within the grace period, cancels the rest, closes. */
  stop(): Promise<void>;
}
