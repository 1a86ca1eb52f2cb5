import type { Command } from "commander";
import { Role } from "../../../gen/grpc-js/palyra/gateway/v1/common.js";
import { StartRun } from "../../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { circuitStateToJSON, ExplainRoutingResponse, healthStateToJSON } from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, printJson, printLine } from "../output.js";

interface ExplainFlags extends ClientFlags {
  model?: string;
  failover?: boolean;
  routingMode?: string;
  maxTokens?: number;
  agentId?: string;
  sessionId?: string;
  userId?: string;
}

/** palyra models explain "prompt": which models a run would try, in what order, and why; what smart routing and budgets would decide. */
export function registerExplainCommand(models: Command): void {
  addClientFlags(models.command("explain").description("show the routing candidates for a prompt, kept or dropped, in order"))
    .argument("<prompt...>", "the prompt to route")
    .option("--model <id>", "the model the request would name (default: the gateway chooses)")
    .option("--no-failover", "explain a request that opts out of failover")
    .option("--routing-mode <mode>", "explain a request asking for this smart-routing mode: off, suggest, dry_run or enforced")
    .option("--max-tokens <n>", "the request's max_tokens (budgets project the answer at it; default: the model's output cap)", positiveInteger)
    .option("--agent-id <id>", "explain a request made for this agent (its budgets apply)")
    .option("--session-id <id>", "explain a request made in this session (its budgets apply)")
    .option("--user-id <id>", "explain a request made for this user (its budgets apply)")
    .action(async (words: string[], flags: ExplainFlags) => {
      const run = StartRun.fromPartial({
        model: flags.model ?? "",
        messages: [{ role: Role.ROLE_USER, parts: [{ text: words.join(" ") }] }],
        disableFailover: flags.failover === false,
        routingMode: flags.routingMode ?? "",
        maxTokens: flags.maxTokens,
        agentId: flags.agentId ?? "",
        sessionId: flags.sessionId ?? "",
        userId: flags.userId ?? "",
      });
      const response = await withDaemon(flags, (clients) => {
        const client = clients.models();
        return callUnary<ExplainRoutingResponse>((done) => client.explainRouting({ run }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ExplainRoutingResponse.toJSON(response));
      printLine(`requested: ${response.requestedModel || "(gateway's choice)"}   first choice: ${response.selectedModel || "-"}`);
      printLine(`failover: ${response.failoverEnabled ? "on" : "off"}   response cache: ${response.cacheHit ? "would answer" : "would not answer"}`);
      printLine(
        response.routingMode
          ? `smart routing: ${response.routingMode}   complexity: ${response.complexity.toFixed(3)}   recommended: ${response.recommendedModel || "-"}`
          : "smart routing: off",
      );
      if (response.routingReason) printLine(`  ${response.routingReason}`);
      printLine(`budgets: ${response.budgetOutcome || "admitted"}`);
      printLine();
      const rows = response.candidates.map((candidate) => [
        candidate.kept ? String(candidate.order) : "-",
        candidate.modelId,
        candidate.providerId,
        enumLabel(circuitStateToJSON(candidate.circuit), "CIRCUIT_STATE_"),
        enumLabel(healthStateToJSON(candidate.health), "HEALTH_STATE_"),
        `${candidate.costTier}/${candidate.latencyTier}`,
        candidate.kept ? "kept" : "dropped",
        candidate.reason,
      ]);
      printLine(formatTable(["order", "model", "provider", "circuit", "health", "cost/latency", "", "why"], rows));
    });
}
