import type { Command } from "commander";
import { GetHealthResponse } from "../../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";

/** palyra health: GatewayService.GetHealth, which needs no token. */
export function registerHealthCommand(command: Command): void {
  addClientFlags(command).action(async (flags: ClientFlags) => {
    const health = await withDaemon(flags, (clients) => {
      const client = clients.gateway();
      return callUnary<GetHealthResponse>((done) => client.getHealth({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson(GetHealthResponse.toJSON(health));
    printLine(`${health.status}  version ${health.version}  uptime ${health.uptimeSeconds.toFixed(1)}s`);
    for (const reason of health.reasons) printLine(`  - ${reason}`);
  });
}
