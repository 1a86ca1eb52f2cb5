import type { Command } from "commander";
import { CompleteOAuthResponse, StartOAuthResponse } from "../../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { describeProfile } from "../auth-profile-table.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { printJson, printLine } from "../output.js";
import { parseProviderKind, profileProviderKinds } from "../provider-kind-flag.js";

interface StartFlags extends ClientFlags {
  oauthProvider: string;
  profileId: string;
  agentId?: string;
  providerKind?: string;
}

interface CompleteFlags extends ClientFlags {
  state: string;
  code: string;
}

/** palyra auth oauth start | complete: a login with the authorization-code grant and PKCE. */
export function registerOAuthCommands(auth: Command): void {
  const oauth = auth.command("oauth").description("log in to an OAuth provider configured as [auth.oauth.<name>]");

  addClientFlags(oauth.command("start").description("begin a login: prints the URL to open and the state (valid for 10 minutes)"))
    .requiredOption("--oauth-provider <name>", "the [auth.oauth.<name>] to log in with")
    .requiredOption("--profile-id <id>", "the profile the login creates or replaces")
    .option("--agent-id <id>", "make the profile the agent's own (default: global)")
    .option("--provider-kind <kind>", `what the profile authenticates (${profileProviderKinds.join(", ")}; default openai_compatible)`, parseProviderKind)
    .action(async (flags: StartFlags) => {
      const request = { oauthProvider: flags.oauthProvider, profileId: flags.profileId, agentId: flags.agentId ?? "", providerKind: flags.providerKind ?? "" };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<StartOAuthResponse>((done) => client.startOAuth(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(StartOAuthResponse.toJSON(response));
      printLine("open this URL to log in:");
      printLine(`  ${response.authorizeUrl}`);
      printLine(`state: ${response.state}`);
      printLine(`expires: ${response.expiresAt?.toISOString() ?? "-"}`);
      printLine("the daemon's /oauth/callback finishes the login; on a host without a browser, run:");
      printLine(`  palyra auth oauth complete --state ${response.state} --code <code from the redirect URL>`);
    });

  addClientFlags(oauth.command("complete").description("finish a login with the code from the redirect URL (for hosts without a browser callback)"))
    .requiredOption("--state <state>", "the state `oauth start` printed")
    .requiredOption("--code <code>", "the code parameter of the URL the authorization server redirected to")
    .action(async (flags: CompleteFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.auth();
        return callUnary<CompleteOAuthResponse>((done) =>
          client.completeOAuth({ state: flags.state, code: flags.code }, clients.metadata(), clients.unaryOptions(), done),
        );
      });
      if (flags.json) return printJson(CompleteOAuthResponse.toJSON(response));
      printLine("login complete");
      for (const line of describeProfile(response.profile)) printLine(line);
    });
}
