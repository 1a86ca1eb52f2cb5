import type { Command } from "commander";
import {
  DeleteSecretResponse,
  ListSecretsResponse,
  PutSecretResponse,
  RotateKeyResponse,
  type SecretInfo,
} from "../../../gen/grpc-js/palyra/gateway/v1/vault.js";
import { CliError, exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { formatTable, printJson, printLine } from "../output.js";

/** palyra vault put | list | delete | rotate-key: the VaultService RPCs (admin only). */
export function registerVaultCommand(vault: Command): void {
  addClientFlags(vault.command("put").description("store a secret, reading its value from stdin (one trailing newline is dropped)"))
    .argument("<name>", "the secret's name, 1-128 characters of A-Z a-z 0-9 . _ : / -")
    .action(async (name: string, flags: ClientFlags) => {
      // Read before connecting, so the call's deadline does not run while someone types.
      const value = await readValue(name);
      const response = await withDaemon(flags, (clients) => {
        const client = clients.vault();
        return callUnary<PutSecretResponse>((done) => client.putSecret({ name, value }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(PutSecretResponse.toJSON(response));
      const secret = response.secret;
      printLine(`stored ${name}${secret ? ` (${secret.sizeBytes} bytes, key ${secret.keyId})` : ""}`);
    });

  addClientFlags(vault.command("list").description("list the secrets (names and metadata; values never leave the daemon)")).action(
    async (flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.vault();
        return callUnary<ListSecretsResponse>((done) => client.listSecrets({}, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListSecretsResponse.toJSON(response));
      printLine(formatTable(["name", "size", "key", "updated", "created"], response.secrets.map(secretRow)));
    },
  );

  addClientFlags(vault.command("delete").description("delete a secret; exits 1 when there is none by that name"))
    .argument("<name>", "the secret's name")
    .action(async (name: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.vault();
        return callUnary<DeleteSecretResponse>((done) => client.deleteSecret({ name }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) {
        printJson(DeleteSecretResponse.toJSON(response));
        if (!response.deleted) process.exitCode = exitCodes.failure;
        return;
      }
      if (!response.deleted) throw new CliError(`the vault holds no secret named "${name}"`);
      printLine(`deleted ${name}`);
    });

  addClientFlags(vault.command("rotate-key").description("re-encrypt every secret under a new master key")).action(async (flags: ClientFlags) => {
    const response = await withDaemon(flags, (clients) => {
      const client = clients.vault();
      return callUnary<RotateKeyResponse>((done) => client.rotateKey({}, clients.metadata(), clients.unaryOptions(), done));
    });
    if (flags.json) return printJson(RotateKeyResponse.toJSON(response));
    printLine(`re-encrypted ${response.reEncrypted} secret(s) under key ${response.keyId}`);
  });
}

/** The whole of stdin, less one trailing newline; an empty value is refused. */
async function readValue(name: string): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write(`enter the value of ${name}, then Ctrl-D:\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  const value = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (value === "") {
    throw new CliError(`refusing to store an empty value for ${name}; pipe the value on stdin, e.g. printf '%s' "$VALUE" | palyra vault put ${name}`);
  }
  return value;
}

function secretRow(secret: SecretInfo): string[] {
  const when = (date: Date | undefined) => (date === undefined ? "-" : date.toISOString());
  return [secret.name, `${secret.sizeBytes} B`, secret.keyId, when(secret.updatedAt), when(secret.createdAt)];
}
