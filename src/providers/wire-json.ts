/** Why an upstream body or frame that must be a JSON object is not one. */
export type WireJsonProblem = "not JSON" | "not a JSON object";

/**
 * Parses an upstream body or stream frame that must be a JSON object. Anything else is the provider's
 * malformed answer, which `malformed` words in the provider's own terms.
 */
export function parseJsonObject<T>(text: string, malformed: (problem: WireJsonProblem) => Error): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed("not JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw malformed("not a JSON object");
  return parsed as T;
}
