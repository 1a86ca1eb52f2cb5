import type { Command } from "commander";
import type { RunningGateway } from "../../main.js";
import { exitCodes } from "../cli-error.js";
import { stopSignalPolicy } from "../stop-signals.js";

interface DaemonFlags {
  config?: string;
  stateDir?: string;
  grpcBind?: string;
  httpBind?: string;
}

/** palyra daemon: runs the gateway in the foreground until SIGTERM or SIGINT. */
export function registerDaemonCommand(daemon: Command): void {
  daemon
    .option("--config <path>", "palyra.toml to load (default: PALYRA_CONFIG, else ./palyra.toml, else <state-dir>/palyra.toml)")
    .option("--state-dir <dir>", "state directory (default: PALYRA_STATE_ROOT, else ./.palyra)")
    .option("--grpc-bind <host:port>", "gRPC listen address (default: PALYRA_GRPC_BIND, else 127.0.0.1:7142)")
    .option("--http-bind <host:port>", "HTTP listen address (default: PALYRA_HTTP_BIND, else 127.0.0.1:7143)")
    .action(runDaemon);
}

async function runDaemon(flags: DaemonFlags): Promise<void> {
  // Everything the daemon creates (database, WAL, keys, logs written by redirection aside) is its user's alone.
  process.umask(0o077);
  let gateway: RunningGateway | undefined;
  let stopRequested = false;

  const stop = (running: RunningGateway) => {
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, "stop failed");
        process.exit(exitCodes.failure);
      },
    );
  };
  const actionFor = stopSignalPolicy();
  const onSignal = (signal: NodeJS.Signals) => {
    const action = actionFor(signal);
    if (action === "ignore") return;
    if (action === "force") {
      process.stderr.write(`palyra: ${signal} again while stopping; exiting now\n`);
      process.exit(exitCodes.failure);
    }
    stopRequested = true;
    gateway?.logger.info({ signal }, "signal received");
    if (gateway) stop(gateway);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // SIGHUP reloads the config file as `palyra config reload` does (the reload logs what changed); a bad file is logged and changes nothing.
  process.on("SIGHUP", () => {
    gateway
      ?.reload()
      .catch((error: unknown) => gateway?.logger.error({ reason: error instanceof Error ? error.message : String(error) }, "config reload refused"));
  });

  try {
    // Loaded here, not at the top, so client commands never load the daemon's modules.
    const { startGateway } = await import("../../main.js");
    gateway = await startGateway({ configPath: flags.config, stateDir: flags.stateDir, grpcBind: flags.grpcBind, httpBind: flags.httpBind });
  } catch (error) {
    // Start-up problems are the operator's to fix (config, ports); a message says more than a stack.
    process.stderr.write(`palyra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(exitCodes.startup);
  }
  // A signal that came while starting is honoured now that there is something to stop.
  if (stopRequested) stop(gateway);
}
