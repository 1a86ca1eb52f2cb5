import type { Command } from "commander";
import type { GetEffectiveConfigResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";
import { registerConfigCheckCommand } from "./config-check.js";
import { registerConfigMigrateCommand } from "./config-migrate.js";
import { registerConfigReloadCommand } from "./config-reload.js";

/** palyra config show | check | reload | migrate: the config the running daemon uses (secrets shown as <redacted>), a file checked or migrated without a daemon, a live reload. */
export function registerConfigCommand(config: Command): void {
  addClientFlags(config.command("show").description("print the effective config (defaults and overrides applied, secrets redacted)")).action(
    async (flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.diagnostics();
        return callUnary<GetEffectiveConfigResponse>((done) => client.getEffectiveConfig({}, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ source: response.source, envOverrides: response.envOverrides, config: JSON.parse(response.configJson) });
      printLine(`# source: ${response.source}${response.envOverrides.length > 0 ? `; from the environment: ${response.envOverrides.join(", ")}` : ""}`);
      printLine(response.configJson);
    },
  );
  registerConfigCheckCommand(config);
  registerConfigReloadCommand(config);
  registerConfigMigrateCommand(config);
}
