import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import type { GetEffectiveConfigResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { ReloadConfigResponse } from "../../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { type ListModelsResponse, ModelRole, modelRoleToJSON } from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { backupConfigFile } from "../../config/config-backups.js";
import { ConfigError } from "../../config/config-error.js";
import { setTomlStringKey } from "../../config/toml-key-edit.js";
import { CliError } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, printJson, printLine } from "../output.js";
import { printReload, reloadDaemonConfig } from "./config-reload.js";

/** The marker GetEffectiveConfig gives as its source when the daemon read no file (config/load-config.ts). */
const embeddedSource = "<embedded defaults>";

const defaultKeys = {
  chat: { key: "default_chat_model_id", role: ModelRole.MODEL_ROLE_CHAT },
  embeddings: { key: "default_embeddings_model_id", role: ModelRole.MODEL_ROLE_EMBEDDINGS },
} as const;

type DefaultRole = keyof typeof defaultKeys;

/** palyra models set | set-embeddings MODEL: writes the default into the daemon's palyra.toml and reloads it. */
export function registerModelsSetCommands(models: Command): void {
  addClientFlags(
    models.command("set <model>").description("make MODEL the default chat model in the daemon's palyra.toml (backed up first) and reload it"),
  ).action((modelId: string, flags: ClientFlags) => setDefaultModel("chat", modelId, flags));
  addClientFlags(
    models.command("set-embeddings <model>").description("make MODEL the default embeddings model in the daemon's palyra.toml (backed up first) and reload it"),
  ).action((modelId: string, flags: ClientFlags) => setDefaultModel("embeddings", modelId, flags));
}

async function setDefaultModel(role: DefaultRole, modelId: string, flags: ClientFlags): Promise<void> {
  const { key, role: expectedRole } = defaultKeys[role];
  const { source, models } = await withDaemon(flags, async (clients) => {
    const diagnostics = clients.diagnostics();
    const registry = clients.models();
    const config = await callUnary<GetEffectiveConfigResponse>((done) => diagnostics.getEffectiveConfig({}, clients.metadata(), clients.unaryOptions(), done));
    const listed = await callUnary<ListModelsResponse>((done) =>
      registry.listModels({ role: ModelRole.MODEL_ROLE_UNSPECIFIED, includeDisabled: true }, clients.metadata(), clients.unaryOptions(), done),
    );
    return { source: config.source, models: listed.models };
  });
  if (source === embeddedSource) {
    throw new CliError(
      "the daemon runs on embedded defaults, with no palyra.toml to write: create one (see palyra config show) and restart the daemon with --config",
    );
  }
  const model = models.find((candidate) => candidate.modelId === modelId);
  if (model === undefined) throw new CliError(`the daemon's registry has no model "${modelId}" (palyra models list --all lists them)`);
  if (model.role !== expectedRole) {
    const actual = enumLabel(modelRoleToJSON(model.role), "MODEL_ROLE_").replace("_", " ");
    throw new CliError(`"${modelId}" is ${article(actual)} ${actual} model, not ${article(role)} ${role} model`);
  }

  const backup = await writeCheckedKey(source, key, modelId);
  const reload = await reloadDaemonConfig(flags).catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : String(error);
    throw new CliError(`wrote ${source} (backup: ${backup}), but the daemon did not reload it: ${reason}`);
  });
  if (flags.json) return printJson({ source, key: `model_provider.${key}`, modelId, backup, reload: ReloadConfigResponse.toJSON(reload) });
  printLine(`set model_provider.${key} = "${modelId}" in ${source} (backup: ${backup})`);
  printReload(reload);
}

/**
 * Writes the key into the file only when the result loads as the daemon would load it: the edit goes
 * to a sibling file, is validated there, the original is backed up, and the sibling renamed over it.
 */
async function writeCheckedKey(file: string, key: string, value: string): Promise<string> {
  const edited = setTomlStringKey(readFileSync(file, "utf8"), "model_provider", key, value);
  const candidate = `${file}.palyra-edit`;
  writeFileSync(candidate, edited, { mode: statSync(file).mode & 0o777 });
  try {
    // Loaded here, not at the top: the checks bring in governance and registry modules other commands never need.
    const { loadConfig } = await import("../../config/load-config.js");
    loadConfig({ path: candidate, stateDir: dirname(file), env: process.env });
  } catch (error) {
    rmSync(candidate, { force: true });
    if (error instanceof ConfigError) throw new CliError(`not written: ${error.message.replaceAll(candidate, file)}`);
    throw error;
  }
  const backup = backupConfigFile(file);
  renameSync(candidate, file);
  return backup;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}
