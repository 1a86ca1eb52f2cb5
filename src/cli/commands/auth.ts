import type { Command } from "commander";
import {
  ConnectApiKeyResponse,
  DeleteProfileResponse,
  GetAuthHealthResponse,
  ListProfilesResponse,
  ProfileHealthState,
  RefreshProfileResponse,
} from "../../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { describeProfile, formatProfileTable } from "../auth-profile-table.js";
import { CliError, exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";
import { parseProviderKind, profileProviderKinds } from "../provider-kind-flag.js";
import { registerOAuthCommands } from "./auth-oauth.js";

interface ListFlags extends ClientFlags {
  agentId?: string;
}

interface ConnectFlags extends ClientFlags {
  provider: string;
  profileId: string;
  agentId?: string;
  baseUrl?: string;
  name?: string;
}

/** States `palyra auth health` treats as needing attention (exit 1). */
const unhealthy = new Set([
  ProfileHealthState.PROFILE_HEALTH_STATE_EXPIRED,
  ProfileHealthState.PROFILE_HEALTH_STATE_MISSING,
  ProfileHealthState.PROFILE_HEALTH_STATE_REFRESH_FAILED,
]);

/** palyra auth list | health | remove | refresh | connect-api-key | oauth …: the AuthProfileService RPCs. */
export function registerAuthCommand(auth: Command): void {
  addClientFlags(auth.command("list").description("list auth profiles"))
    .option("--agent-id <id>", "only this agent's profiles (and the global ones)")
    .action(async (flags: ListFlags) => {
      const request = { agentId: flags.agentId ?? "", includeGlobal: true };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<ListProfilesResponse>((done) => client.listProfiles(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListProfilesResponse.toJSON(response));
      printLine(formatProfileTable(response.profiles));
    });

  addClientFlags(auth.command("health").description("show each profile's health and why; exits 1 when one is expired, missing or failing to refresh")).action(
    async (flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<GetAuthHealthResponse>((done) => client.getAuthHealth({}, clients.metadata(), clients.unaryOptions(), done));
      });
      if (response.profiles.some((profile) => profile.health !== undefined && unhealthy.has(profile.health.state))) process.exitCode = exitCodes.failure;
      if (flags.json) return printJson(GetAuthHealthResponse.toJSON(response));
      printLine(formatProfileTable(response.profiles, true));
    },
  );

  addClientFlags(auth.command("remove").description("delete a profile and the secrets it owns; exits 1 when there is none"))
    .argument("<profile-id>", "the profile to delete")
    .action(async (profileId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<DeleteProfileResponse>((done) => client.deleteProfile({ profileId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) {
        printJson(DeleteProfileResponse.toJSON(response));
        if (!response.deleted) process.exitCode = exitCodes.failure;
        return;
      }
      if (!response.deleted) throw new CliError(`there is no auth profile "${profileId}"`);
      printLine(`removed ${profileId}`);
    });

  addClientFlags(auth.command("refresh").description("refresh an OAuth profile's access token now"))
    .argument("<profile-id>", "the OAuth profile to refresh")
    .action(async (profileId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<RefreshProfileResponse>((done) => client.refreshProfile({ profileId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(RefreshProfileResponse.toJSON(response));
      printLine(`refreshed ${profileId}`);
      for (const line of describeProfile(response.profile)) printLine(line);
    });

  addClientFlags(auth.command("connect-api-key").description("check an API key (read from stdin) against the provider's model list, then save it as a profile"))
    .requiredOption("--provider <kind>", `provider kind (${profileProviderKinds.join(", ")})`, parseProviderKind)
    .requiredOption("--profile-id <id>", "the profile to create or replace")
    .option("--agent-id <id>", "make the profile the agent's own (default: global)")
    .option("--base-url <url>", "where to check the key (required for openai_compatible unless a provider is bound to the profile)")
    .option("--name <name>", "a display name")
    .action(async (flags: ConnectFlags) => {
      // Read before connecting, so the call's deadline does not run while someone types.
      const apiKey = await readKey();
      const request = {
        profileId: flags.profileId,
        providerKind: flags.provider,
        apiKey,
        baseUrl: flags.baseUrl ?? "",
        agentId: flags.agentId ?? "",
        name: flags.name ?? "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<ConnectApiKeyResponse>((done) => client.connectApiKey(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ConnectApiKeyResponse.toJSON(response));
      printLine(`connected ${flags.profileId}: the key lists ${response.modelCount} model(s)`);
      for (const line of describeProfile(response.profile)) printLine(line);
    });

  registerOAuthCommands(auth);
}

/** The key from stdin: its first line, trimmed. An empty key is refused before the daemon is asked. */
async function readKey(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("enter the API key, then Enter and Ctrl-D:\n");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  const key = (Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "").trim();
  if (key === "") throw new CliError(`no API key on stdin; pipe it in, e.g. printf '%s' "$KEY" | palyra auth connect-api-key …`);
  return key;
}
