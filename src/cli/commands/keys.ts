import { type Command, InvalidArgumentError } from "commander";
import { type ApiKeyInfo, CreateApiKeyResponse, ListApiKeysResponse, RevokeApiKeyResponse } from "../../../gen/grpc-js/palyra/gateway/v1/api_keys.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { parseDurationSeconds } from "../duration.js";
import { callUnary } from "../grpc-clients.js";
import { formatTable, formatTime, printJson, printLine } from "../output.js";

interface CreateFlags extends ClientFlags {
  name: string;
  agentId?: string;
  scopes: string[];
  rpm?: number;
  tpm?: number;
  expiresIn?: number;
}

interface ListFlags extends ClientFlags {
  all?: boolean;
}

/** What a key gets when --scopes is not given: enough for an OpenAI SDK chat client. */
const defaultScopes = ["models.read", "chat.create"];

/** palyra keys create | list | revoke: the ApiKeysService RPCs (admin only). */
export function registerKeysCommand(keys: Command): void {
  addClientFlags(keys.command("create").description("issue a key and print it (the only time it is shown)"))
    .requiredOption("--name <name>", "what the key is for")
    .option("--agent-id <id>", "attribute every run made with the key to this agent")
    .option("--scopes <list>", "comma-separated: models.read, chat.create, embeddings.create, audio.create, admin", parseScopeList, defaultScopes)
    .option("--rpm <n>", "requests per minute that start runs (default: no limit)", positiveInteger)
    .option("--tpm <n>", "tokens per minute, counted when runs end (default: no limit)", positiveInteger)
    .option("--expires-in <duration>", "lifetime such as 30d, 12h or 45m (default: never expires)", parseDurationSeconds)
    .action(async (flags: CreateFlags) => {
      const request = {
        name: flags.name,
        agentId: flags.agentId ?? "",
        scopes: flags.scopes,
        rpmLimit: flags.rpm ?? 0,
        tpmLimit: flags.tpm ?? 0,
        expiresInSeconds: flags.expiresIn ?? 0,
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.apiKeys();
        return callUnary<CreateApiKeyResponse>((done) => client.createApiKey(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(CreateApiKeyResponse.toJSON(response));
      const key = response.key;
      if (key !== undefined) printLine(`created key ${key.keyId} "${key.name}": ${describeGrants(key)}`);
      printLine();
      printLine(`  ${response.secret}`);
      printLine();
      printLine("This is the only time the key is shown; the daemon keeps only its hash. Store it now.");
    });

  addClientFlags(keys.command("list").description("list keys (never their secrets)"))
    .option("--all", "include revoked keys")
    .action(async (flags: ListFlags) => {
      const request = { includeRevoked: flags.all ?? false };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.apiKeys();
        return callUnary<ListApiKeysResponse>((done) => client.listApiKeys(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListApiKeysResponse.toJSON(response));
      const headers = ["id", "name", "prefix", "agent", "scopes", "rpm", "tpm", "created", "expires", "last used", "status"];
      printLine(
        formatTable(
          headers,
          response.keys.map((key) => keyRow(key, Date.now())),
        ),
      );
    });

  addClientFlags(keys.command("revoke").description("revoke a key; it stops working at once"))
    .argument("<id>", "the key id (from keys list)")
    .action(async (keyId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.apiKeys();
        return callUnary<RevokeApiKeyResponse>((done) => client.revokeApiKey({ keyId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(RevokeApiKeyResponse.toJSON(response));
      printLine(`revoked ${keyId}${response.key ? ` "${response.key.name}"` : ""}`);
    });
}

function parseScopeList(value: string): string[] {
  const scopes = value
    .split(",")
    .map((scope) => scope.trim())
    .filter((scope) => scope !== "");
  if (scopes.length === 0) throw new InvalidArgumentError("name at least one scope");
  // The daemon validates the names, so this stays in step with it.
  return scopes;
}

function describeGrants(key: ApiKeyInfo): string {
  const parts = [`scopes ${key.scopes.join(",")}`];
  if (key.agentId) parts.push(`agent ${key.agentId}`);
  if (key.rpmLimit) parts.push(`${key.rpmLimit} requests/min`);
  if (key.tpmLimit) parts.push(`${key.tpmLimit} tokens/min`);
  parts.push(key.expiresAt ? `expires ${formatTime(key.expiresAt)}` : "never expires");
  return parts.join(", ");
}

function keyRow(key: ApiKeyInfo, now: number): string[] {
  const status = key.revokedAt ? "revoked" : key.expiresAt && key.expiresAt.getTime() <= now ? "expired" : "active";
  return [
    key.keyId,
    key.name,
    `${key.prefix}…`,
    key.agentId || "-",
    key.scopes.join(","),
    key.rpmLimit ? String(key.rpmLimit) : "-",
    key.tpmLimit ? String(key.tpmLimit) : "-",
    formatTime(key.createdAt),
    formatTime(key.expiresAt, "never"),
    formatTime(key.lastUsedAt),
    status,
  ];
}
