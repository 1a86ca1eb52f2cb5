import type { Command } from "commander";
import { ReloadConfigResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";

/** palyra config reload: the running daemon re-reads its palyra.toml (as SIGHUP does). */
export function registerConfigReloadCommand(config: Command): void {
  addClientFlags(
    config.command("reload").description("make the running daemon re-read and apply its palyra.toml; an invalid file is refused and nothing changes"),
  ).action(async (flags: ClientFlags) => {
    const response = await reloadDaemonConfig(flags);
    if (flags.json) return printJson(ReloadConfigResponse.toJSON(response));
    printReload(response);
  });
}

/** DiagnosticsService.ReloadConfig on the daemon the flags name. */
export function reloadDaemonConfig(flags: ClientFlags): Promise<ReloadConfigResponse> {
  return withDaemon(flags, (clients) => {
    const client = clients.diagnostics();
    return callUnary<ReloadConfigResponse>((done) => client.reloadConfig({}, clients.metadata(), clients.unaryOptions(), done));
  });
}

/** What a reload changed, in lines: the sections, the declared jobs, and what waits for a restart. */
export function printReload(response: ReloadConfigResponse): void {
  const sections = response.changedSections;
  printLine(`reloaded ${response.source}: ${sections.length === 0 ? "nothing changed" : `changed ${sections.join(", ")}`}`);
  if (response.jobsUpserted > 0 || response.jobsRemoved > 0)
    printLine(`declared jobs: ${response.jobsUpserted} created or updated, ${response.jobsRemoved} removed`);
  if (response.restartRequired.length > 0) printLine(`needs a restart to take effect: ${response.restartRequired.join(", ")}`);
}
