import type { Command } from "commander";
import { Role } from "../../../gen/grpc-js/palyra/gateway/v1/common.js";
import { StartRun } from "../../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { circuitStateToJSON, ExplainRoutingResponse, healthStateToJSON } from "../../../gen/grpc-js/palyra/gateway/v1/models.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, printJson, printLine } from "../output.js";

interface ExplainFlags extends ClientFlags {
  model?: string;
  failover?: boolean;
  routingMode?: string;
}

/** palyra models explain "prompt": which models a run would try, in what order, and why. */
export function registerExplainCommand(models: Command): void {
  addClientFlags(models.command("explain").description("show the routing candidates for a prompt, kept or dropped, in order"))
    .argument("<prompt...>", "the prompt to route")
    .option("--model <id>", "the model the request would name (default: the gateway chooses)")
    .option("--no-failover", "explain a request that opts out of failover")
    .option("--routing-mode <mode>", "explain a request asking for this smart-routing mode: off, suggest, dry_run or enforced")
    .action(async (words: string[], flags: ExplainFlags) => {
      const run = StartRun.fromPartial({
        model: flags.model ?? "",
        messages: [{ role: Role.ROLE_USER, parts: [{ text: words.join(" ") }] }],
        disableFailover: flags.failover === false,
        routingMode: flags.routingMode ?? "",
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
