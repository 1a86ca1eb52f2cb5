import { createServer } from "node:net";
import { type BindAddress, formatBindAddress } from "../../../config/bind-address.js";
import { pickBinds } from "../../../config/pick-binds.js";
import type { CheckReport, DiagnoseContext, Finding } from "../doctor-types.js";
import { reportOf } from "../doctor-types.js";

/**
 * The gRPC and HTTP listen addresses (flag, environment, [daemon], default, as the daemon picks them):
 * each must be bindable now, or be held by this state directory's own running daemon. Port 0 always is.
 */
export async function checkPorts(context: DiagnoseContext): Promise<CheckReport> {
  if (context.loadedConfig === undefined) return reportOf("ports", "skipped: the config does not load", []);
  let binds: { grpcBind: BindAddress; httpBind: BindAddress };
  try {
    binds = pickBinds({ grpcBind: context.grpcBind, httpBind: context.httpBind }, context.env, context.loadedConfig);
  } catch (error) {
    return reportOf("ports", "a listen address is invalid", [
      {
        check: "ports",
        severity: "blocking",
        object: "bind",
        problem: (error as Error).message,
        fix: "correct the address (--grpc-bind, --http-bind, PALYRA_*_BIND or [daemon])",
      },
    ]);
  }
  const findings: Finding[] = [];
  const described: string[] = [];
  for (const [name, bind, ours, flag] of [
    ["gRPC", binds.grpcBind, context.daemon.grpc, "--grpc-bind"],
    ["HTTP", binds.httpBind, context.daemon.http, "--http-bind"],
  ] as const) {
    const address = formatBindAddress(bind.host, bind.port);
    if (bind.port === 0) {
      described.push(`${name} ${address} (any free port)`);
      continue;
    }
    if (context.daemon.running && ours !== undefined && portOf(ours) === bind.port) {
      described.push(`${name} ${address} (held by our daemon)`);
      continue;
    }
    const failure = await tryBind(bind);
    described.push(`${name} ${address} (${failure === undefined ? "free" : failure})`);
    if (failure === undefined) continue;
    const heldByUs = context.daemon.running ? `; our daemon listens on ${ours ?? "an address not yet written"}` : "";
    findings.push({
      check: "ports",
      severity: context.daemon.running ? "warning" : "blocking",
      object: address,
      problem: `the ${name} address cannot be bound (${failure})${heldByUs}: a daemon started now would fail`,
      fix: `stop whatever listens there (ss -ltnp 'sport = :${bind.port}'), or pick another address with ${flag}`,
    });
  }
  return reportOf("ports", described.join(", "), findings);
}

/** Listens on the address and closes at once; the error code when it cannot. */
function tryBind(bind: BindAddress): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ host: bind.host, port: bind.port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(":") + 1));
}
