import type { z } from "zod";
import { closestKey } from "./closest-key.js";
import { formatKeyPath } from "./key-path.js";
import { keysAt } from "./schema-shape.js";
import { actualType, expectedType, literal, oneOf } from "./value-words.js";

type Issue = z.core.$ZodIssue;

export interface KeyProblem {
  key: string;
  message: string;
}

/**
 * Zod's issues in the config's words: one problem per key (the first issue zod found for it), unknown
 * keys one by one with the nearest valid key of their table suggested. Parse with `reportInput: true`,
 * or a wrong type cannot be told from a missing key.
 */
export function problemsFromIssues(issues: readonly Issue[], schema: z.ZodType): KeyProblem[] {
  const problems: KeyProblem[] = [];
  const seen = new Set<string>();
  const add = (key: string, message: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    problems.push({ key, message });
  };
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const validKeys = keysAt(schema, issue.path);
      for (const name of issue.keys) add(formatKeyPath([...issue.path, name]), unknownKeyMessage(name, validKeys));
    } else {
      add(formatKeyPath(issue.path), issueMessage(issue));
    }
  }
  return problems;
}

function unknownKeyMessage(name: string, validKeys: readonly string[]): string {
  const suggestion = closestKey(name, validKeys);
  return suggestion === undefined ? "unknown key" : `unknown key (did you mean ${suggestion}?)`;
}

function issueMessage(issue: Issue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return `missing: expected ${expectedType(issue.expected)}`;
      if (issue.input instanceof Date && issue.expected === "string") return "expected a string, got a date-time (put it in quotes)";
      return `expected ${expectedType(issue.expected)}, got ${actualType(issue.input)}`;
    case "invalid_value":
      return choiceMessage(issue.values, issue.input);
    case "invalid_union":
      // A discriminated union (a secret reference's kind) names its discriminator's allowed values.
      if (issue.discriminator !== undefined && "options" in issue && issue.options !== undefined) {
        return choiceMessage(issue.options, fieldOf(issue.input, issue.discriminator));
      }
      return issue.message;
    case "too_small":
    case "too_big":
      return boundMessage(issue);
    case "invalid_key":
      return `not a valid name: ${issue.issues[0]?.message ?? issue.message}`;
    case "invalid_format":
      return issue.format === "datetime" ? 'must be an RFC 3339 date-time with an offset, such as "2026-01-01T00:00:00Z"' : issue.message;
    default:
      // Custom checks and formats carry the schema's own message.
      return issue.message;
  }
}

function choiceMessage(values: readonly unknown[], input: unknown): string {
  if (input === undefined) return `missing: expected ${values.length === 1 ? literal(values[0]) : `one of ${oneOf(values)}`}`;
  if (values.length === 1) return `must be ${literal(values[0])}, got ${literal(input)}`;
  return `must be one of ${oneOf(values)}, got ${literal(input)}`;
}

function fieldOf(input: unknown, field: string): unknown {
  return typeof input === "object" && input !== null ? (input as Record<string, unknown>)[field] : undefined;
}

function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === "too_small";
  const limit = small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum;
  const inclusive = issue.inclusive ?? true;
  switch (issue.origin) {
    case "string":
      if (small && Number(limit) === 1) return "must not be empty";
      return `must be at ${small ? "least" : "most"} ${limit} characters long`;
    case "array":
      return `must have at ${small ? "least" : "most"} ${limit} item${Number(limit) === 1 ? "" : "s"}`;
    case "number":
    case "int":
    case "bigint": {
      const bound = inclusive ? `at ${small ? "least" : "most"}` : small ? "greater than" : "less than";
      return `must be ${bound} ${limit}, got ${literal(issue.input)}`;
    }
    default:
      return issue.message;
  }
}
