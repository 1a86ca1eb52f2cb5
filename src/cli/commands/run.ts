import type { Command } from "commander";
import { Role } from "../../../gen/grpc-js/palyra/gateway/v1/common.js";
import { StartRun } from "../../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { CliError, exitCodes } from "../cli-error.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { describeUnfinishedRun, RunPrinter } from "../run-printer.js";
import { streamRun } from "../run-stream.js";

interface RunFlags extends ClientFlags {
  model?: string;
  agentId?: string;
  sessionId?: string;
  maxTokens?: number;
}

/** palyra run: one prompt through GatewayService.RunStream, printed as it streams. */
export function registerRunCommand(run: Command): void {
  addClientFlags(
    run.argument("<prompt...>", 'the prompt (words are joined with spaces; "-" reads it from stdin)'),
    "deadline for the whole run (default: none)",
  )
    .option("--model <id>", "registry model id (default: let the gateway choose)")
    .option("--agent-id <id>", "agent the run belongs to")
    .option("--session-id <id>", "session the run belongs to")
    .option("--max-tokens <n>", "most output tokens", positiveInteger)
    .action(async (words: string[], flags: RunFlags) => {
      const start = startRequest(await readPrompt(words), flags);
      const printer = new RunPrinter(flags.json ?? false);
      // A run may stream for long; it gets a deadline only when --timeout-ms asks for one.
      const options = flags.timeoutMs ? { deadline: Date.now() + flags.timeoutMs } : {};
      const outcome = await withDaemon(flags, (clients) => streamRun(clients, start, printer.onEvent, options)).catch((error: unknown) => {
        printer.finishLine();
        // Once the run was admitted, say which run the failure cut short.
        if (printer.runId === undefined || !(error instanceof Error)) throw error;
        throw new CliError(`run ${printer.runId} did not finish: ${error.message}`);
      });
      if (outcome.kind === "abandoned") throw new CliError("interrupted; the run may still be cancelling", exitCodes.interrupted);
      const problem = describeUnfinishedRun(outcome.event);
      if (problem === undefined) return;
      throw new CliError(problem, outcome.interrupted && outcome.event.cancelled ? exitCodes.interrupted : exitCodes.failure);
    });
}

function startRequest(prompt: string, flags: RunFlags): StartRun {
  return StartRun.fromPartial({
    messages: [{ role: Role.ROLE_USER, parts: [{ text: prompt }] }],
    model: flags.model ?? "",
    agentId: flags.agentId ?? "",
    sessionId: flags.sessionId ?? "",
    maxTokens: flags.maxTokens,
  });
}

async function readPrompt(words: string[]): Promise<string> {
  if (words.length === 1 && words[0] === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8").trim();
    if (text === "") throw new CliError("the prompt read from stdin is empty");
    return text;
  }
  const prompt = words.join(" ");
  if (prompt.trim() === "") throw new CliError("the prompt is empty");
  return prompt;
}
