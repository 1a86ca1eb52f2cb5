import { validateRunInput } from "../runs/run-input.js";
import { GatewayError, invalidRequest } from "../shared/errors.js";
import type { RunInput } from "../shared/run-input.js";

/**
 * The run a job's tick or a queued task starts: one user message, or a full envelope (as RunStream's
 * start), with an optional model and output cap that override the envelope's. Stored as JSON.
 */
export interface RunSpec {
  prompt?: string | undefined;
  envelope?: RunInput | undefined;
  model?: string | undefined;
  maxTokens?: number | undefined;
}

/** The engine's input for one run of a spec, attributed to `agentId` (a job's or task's agent). */
export function runInputOf(spec: RunSpec, agentId: string | undefined, clientRequestId: string): RunInput {
  const base: RunInput = spec.envelope ?? {
    messages: [{ role: "user", parts: [{ type: "text", text: spec.prompt ?? "" }] }],
    tools: [],
    stop: [],
    metadata: {},
  };
  return {
    ...base,
    ...(spec.model && { model: spec.model }),
    ...(spec.maxTokens !== undefined && { maxTokens: spec.maxTokens }),
    ...(agentId ? { agentId } : {}),
    clientRequestId,
    // Nobody reads a background run as it streams: ask for the whole answer, whose usage is exact.
    wholeAnswer: true,
  };
}

/**
 * Checks the spec has exactly one input (naming `param`), then validates the run it starts as the
 * engine will, so a bad one is refused when the job or task is made, not at every tick or attempt.
 */
export function checkRunSpec(spec: RunSpec, param: string, agentId: string | undefined): void {
  const inputs = [spec.prompt, spec.envelope].filter((input) => input !== undefined && input !== "");
  if (inputs.length !== 1) throw invalidRequest(param, "needs exactly one of a prompt or a message envelope");
  try {
    validateRunInput(runInputOf(spec, agentId, "check"));
  } catch (error) {
    throw spec.envelope === undefined ? error : underEnvelope(error);
  }
}

export function runSpecToJson(spec: RunSpec): string {
  return JSON.stringify(spec);
}

export function runSpecFromJson(json: string): RunSpec {
  return JSON.parse(json) as RunSpec;
}

/** The spec's own fields, named as they are; every other field of an envelope is named under "envelope.". */
const specFields = new Set(["model", "max_tokens", "agent_id", "client_request_id"]);

/** An error about a field of a job's or task's envelope, renamed "envelope.<field>" (the spec's own fields keep their names). */
export function underEnvelope(error: unknown): unknown {
  const param = error instanceof GatewayError ? error.param : undefined;
  if (param === undefined || specFields.has(param) || !(error instanceof GatewayError)) return error;
  const detail = error.message.startsWith(`${param}: `) ? error.message.slice(param.length + 2) : error.message;
  return invalidRequest(`envelope.${param}`, detail);
}
