import { type Command, InvalidArgumentError } from "commander";
import {
  DiscoverResponse,
  GetModelsStatusResponse,
  ListModelsResponse,
  type Model,
  ModelRole,
  modelRoleToJSON,
  TestConnectionResponse,
} from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary, defaultTimeoutMs } from "../grpc-clients.js";
import { enumLabel, formatTable, printJson, printLine, yesNo } from "../output.js";
import { formatProviderTable } from "../provider-table.js";
import { connectionHeld, connectionTable, defaultProbeTimeoutMs, discoveryTable, type ProviderFlags, registerConnectCommand } from "./models-connect.js";
import { registerExplainCommand } from "./models-explain.js";
import { registerModelsSetCommands } from "./models-set.js";

interface ListFlags extends ClientFlags {
  role?: ModelRole;
  all?: boolean;
}

const rolesByName: Record<string, ModelRole> = {
  chat: ModelRole.MODEL_ROLE_CHAT,
  embeddings: ModelRole.MODEL_ROLE_EMBEDDINGS,
  audio_transcription: ModelRole.MODEL_ROLE_AUDIO_TRANSCRIPTION,
};

/** palyra models list | status | test-connection | discover | connect | explain | set | set-embeddings. */
export function registerModelsCommand(models: Command): void {
  registerExplainCommand(models);
  registerConnectCommand(models);
  registerModelsSetCommands(models);

  addClientFlags(models.command("list").description("list the registry's models"))
    .option("--role <role>", `only models of this role (${Object.keys(rolesByName).join(", ")})`, parseRole)
    .option("--all", "include disabled models")
    .action(async (flags: ListFlags) => {
      const request = { role: flags.role ?? ModelRole.MODEL_ROLE_UNSPECIFIED, includeDisabled: flags.all ?? false };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.models();
        return callUnary<ListModelsResponse>((done) => client.listModels(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListModelsResponse.toJSON(response));
      printLine(formatTable(["model", "provider", "role", "enabled", "capabilities"], response.models.map(modelRow)));
    });

  addClientFlags(models.command("status").description("show provider health, circuit breakers and the default models")).action(async (flags: ClientFlags) => {
    const response = await withDaemon(flags, (clients) => {
      const client = clients.models();
      return callUnary<GetModelsStatusResponse>((done) => client.getModelsStatus({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson(GetModelsStatusResponse.toJSON(response));
    printLine(formatProviderTable(response.providers));
    const defaults = response.defaults;
    if (defaults === undefined) return;
    printLine();
    printLine(`default chat model:                 ${defaults.chatModelId || "-"}`);
    printLine(`default embeddings model:           ${defaults.embeddingsModelId || "-"}`);
    printLine(`default audio transcription model:  ${defaults.audioTranscriptionModelId || "-"}`);
    printLine(`failover:                           ${defaults.failoverEnabled ? "on" : "off"}`);
    const cache = response.cache;
    const cacheFigures = cache?.enabled ? ` (${cache.entries}/${cache.maxEntries} entries, ${cache.hits} hits, ${cache.misses} misses)` : "";
    printLine(`response cache:                     ${defaults.responseCacheEnabled ? "on" : "off"}${cacheFigures}`);
  });

  addClientFlags(
    models.command("test-connection").description("probe providers' model listings; exits 1 when one fails"),
    `time limit for each provider's probe (default: ${defaultProbeTimeoutMs})`,
  )
    .option("--provider <id>", "only this provider (default: every enabled one)")
    .action(async (flags: ProviderFlags) => {
      const probeMs = flags.timeoutMs ?? defaultProbeTimeoutMs;
      const request = { providerId: flags.provider ?? "", timeoutMs: flags.timeoutMs ?? 0 };
      // --timeout-ms limits the probes here; the call itself may take that long plus the usual margin.
      const response = await withDaemon({ ...flags, timeoutMs: probeMs + defaultTimeoutMs }, (clients) => {
        const client = clients.models();
        return callUnary<TestConnectionResponse>((done) => client.testConnection(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (response.results.some((result) => !connectionHeld(result.status))) process.exitCode = exitCodes.failure;
      if (flags.json) return printJson(TestConnectionResponse.toJSON(response));
      printLine(connectionTable(response));
    });

  addClientFlags(models.command("discover").description("add the models providers list that the registry does not serve yet; exits 1 when a listing fails"))
    .option("--provider <id>", "only this provider (default: every enabled one)")
    .action(async (flags: ProviderFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.models();
        const request = { providerId: flags.provider ?? "" };
        return callUnary<DiscoverResponse>((done) => client.discover(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (response.providers.some((found) => !connectionHeld(found.status))) process.exitCode = exitCodes.failure;
      if (flags.json) return printJson(DiscoverResponse.toJSON(response));
      printLine(discoveryTable(response));
    });
}

function modelRow(model: Model): string[] {
  const capabilities = model.capabilities;
  const flags = capabilities ? [capabilities.toolCalls && "tools", capabilities.jsonMode && "json", capabilities.vision && "vision"].filter(Boolean) : [];
  return [
    model.modelId,
    model.providerId,
    enumLabel(modelRoleToJSON(model.role), "MODEL_ROLE_"),
    yesNo(model.enabled),
    flags.length > 0 ? flags.join(",") : "-",
  ];
}

function parseRole(value: string): ModelRole {
  const role = rolesByName[value.trim().toLowerCase()];
  if (role === undefined) throw new InvalidArgumentError(`must be one of ${Object.keys(rolesByName).join(", ")}`);
  return role;
}
