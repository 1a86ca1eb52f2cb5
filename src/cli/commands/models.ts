import { type Command, InvalidArgumentError } from "commander";
import {
  GetModelsStatusResponse,
  ListModelsResponse,
  type Model,
  ModelRole,
  modelRoleToJSON,
} from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, printJson, printLine, yesNo } from "../output.js";
import { formatProviderTable } from "../provider-table.js";

interface ListFlags extends ClientFlags {
  role?: ModelRole;
  all?: boolean;
}

const rolesByName: Record<string, ModelRole> = {
  chat: ModelRole.MODEL_ROLE_CHAT,
  embeddings: ModelRole.MODEL_ROLE_EMBEDDINGS,
  audio_transcription: ModelRole.MODEL_ROLE_AUDIO_TRANSCRIPTION,
};

/** palyra models list | status: the ModelsService RPCs. */
export function registerModelsCommand(program: Command): void {
  const models = program.command("models").description("inspect the model registry");

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

  addClientFlags(models.command("status").description("show provider health, circuit breakers and the default models")).action(
    async (flags: ClientFlags) => {
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
      printLine(`response cache:                     ${defaults.responseCacheEnabled ? "on" : "off"}`);
    },
  );
}

function modelRow(model: Model): string[] {
  const capabilities = model.capabilities;
  const flags = capabilities
    ? [capabilities.toolCalls && "tools", capabilities.jsonMode && "json", capabilities.vision && "vision"].filter(Boolean)
    : [];
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
