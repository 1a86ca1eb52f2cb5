import type { z } from "zod";
import { OpenAIRequestError } from "./openai-error.js";

/** Parses an OpenAI request body with a schema, naming the first field at fault in OpenAI notation. */
export function parseOpenAIBody<Schema extends z.ZodType>(schema: Schema, body: unknown): z.output<Schema> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new OpenAIRequestError("The request body must be a JSON object");
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const param = issue === undefined ? null : openAIPath(issue.path);
  throw new OpenAIRequestError(param ? `Invalid '${param}': ${issue?.message}` : (issue?.message ?? "invalid request"), { param });
}

/** ["messages", 0, "role"] -> "messages[0].role", OpenAI's own notation. */
export function openAIPath(path: readonly PropertyKey[]): string {
  return path.map((segment, index) => (typeof segment === "number" ? `[${segment}]` : `${index > 0 ? "." : ""}${String(segment)}`)).join("");
}
