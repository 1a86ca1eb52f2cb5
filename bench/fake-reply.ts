// What the fake OpenAI upstream (fake-upstream.ts) answers, shared with the harness so it can check
// that the gateway passes the answer on unchanged. No side effects: both processes import it.

/** The key the fake upstream requires (`authorization: Bearer …`), configured as the provider's api_key. */
export const upstreamApiKey = "bench-upstream-key";
/** The model name the gateway sends upstream for `fake-gpt` (its `upstream_model`). */
export const upstreamModel = "gpt-4o-mini";
/** The fixed reply, in the pieces the streamed answer carries (one content chunk each). */
export const replyPieces = ["Hello", " from the", " fake", " upstream,", " benchmark!"] as const;
export const replyText = replyPieces.join("");
/** The usage the fake reports, in OpenAI's field names. */
export const replyUsage = { prompt_tokens: 14, completion_tokens: 6, total_tokens: 20 } as const;

interface WireAnswer {
  model?: unknown;
  error?: unknown;
  choices?: { message?: { content?: unknown }; delta?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; total_tokens?: unknown } | null;
}

function usageProblem(usage: WireAnswer["usage"]): string | undefined {
  if (usage === undefined || usage === null) return "no usage";
  const { prompt_tokens, completion_tokens, total_tokens } = usage;
  if (prompt_tokens !== replyUsage.prompt_tokens || completion_tokens !== replyUsage.completion_tokens || total_tokens !== replyUsage.total_tokens) {
    return `usage ${JSON.stringify(usage)} is not the upstream's ${JSON.stringify(replyUsage)}`;
  }
  return undefined;
}

/**
 * Why a chat.completion JSON body is not the fake upstream's reply (its text, finish reason and
 * usage), or undefined when it is. `model` is the model name the answer must carry.
 */
export function jsonAnswerProblem(body: string, model: string): string | undefined {
  let answer: WireAnswer;
  try {
    answer = JSON.parse(body) as WireAnswer;
  } catch {
    return "the body is not JSON";
  }
  if (answer.error !== undefined) return `the body carries an error: ${JSON.stringify(answer.error)}`;
  if (answer.model !== model) return `model ${JSON.stringify(answer.model)}, expected ${JSON.stringify(model)}`;
  const choice = answer.choices?.[0];
  if (answer.choices?.length !== 1 || choice === undefined) return `${answer.choices?.length ?? "no"} choices, expected 1`;
  if (choice.message?.content !== replyText) return `content ${JSON.stringify(choice.message?.content)}, expected ${JSON.stringify(replyText)}`;
  if (choice.finish_reason !== "stop") return `finish_reason ${JSON.stringify(choice.finish_reason)}, expected "stop"`;
  return usageProblem(answer.usage);
}

/**
 * Why an SSE body is not the fake upstream's reply streamed with include_usage (content chunks that
 * add up to the text, one "stop", a usage-only chunk, then data: [DONE]), or undefined when it is.
 */
export function sseAnswerProblem(body: string, model: string): string | undefined {
  const data: string[] = [];
  for (const frame of body.split("\n\n")) {
    if (frame === "") continue;
    for (const line of frame.split("\n")) if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
  }
  if (data.at(-1) !== "[DONE]") return "the stream does not end with data: [DONE]";
  let text = "";
  let stops = 0;
  let usage: WireAnswer["usage"];
  for (const payload of data.slice(0, -1)) {
    let chunk: WireAnswer;
    try {
      chunk = JSON.parse(payload) as WireAnswer;
    } catch {
      return `a data frame is not JSON: ${payload.slice(0, 120)}`;
    }
    if (chunk.error !== undefined) return `an error frame: ${payload.slice(0, 300)}`;
    if (chunk.model !== model) return `a chunk has model ${JSON.stringify(chunk.model)}, expected ${JSON.stringify(model)}`;
    for (const choice of chunk.choices ?? []) {
      if (typeof choice.delta?.content === "string") text += choice.delta.content;
      if (choice.finish_reason === "stop") stops++;
      else if (choice.finish_reason !== null && choice.finish_reason !== undefined) return `finish_reason ${JSON.stringify(choice.finish_reason)}`;
    }
    if (chunk.usage !== undefined && chunk.usage !== null) {
      if (chunk.choices?.length !== 0) return "usage on a chunk that has choices";
      usage = chunk.usage;
    }
  }
  if (text !== replyText) return `streamed content ${JSON.stringify(text)}, expected ${JSON.stringify(replyText)}`;
  if (stops !== 1) return `${stops} finish chunks with "stop", expected 1`;
  return usageProblem(usage);
}
