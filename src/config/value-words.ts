/** Words for TOML values and types in config error messages ("expected a number, got a string"). */

/** The type a schema expected, as zod names it, in TOML's terms. */
export function expectedType(expected: string): string {
  switch (expected) {
    case "int":
      return "an integer";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean (true or false)";
    case "array":
    case "tuple":
      return "an array";
    case "object":
    case "record":
      return "a table";
    case "date":
      return "a date-time";
    default:
      return `a ${expected}`;
  }
}

/** The type of a value read from TOML (or an environment variable). */
export function actualType(value: unknown): string {
  if (typeof value === "number") {
    if (Number.isNaN(value) || !Number.isFinite(value)) return String(value);
    return Number.isInteger(value) ? "an integer" : `a fractional number (${value})`;
  }
  if (typeof value === "bigint") return "an integer";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date-time";
  if (value === null) return "null";
  if (typeof value === "object") return "a table";
  return typeof value;
}

/** A short literal for a value in a message: strings quoted, long ones cut; tables and arrays by their type. */
export function literal(value: unknown): string {
  if (typeof value === "object" && value !== null) return actualType(value);
  if (typeof value !== "string") return String(value);
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
}

/** `"a", "b" or "c"` */
export function oneOf(values: readonly unknown[]): string {
  const words = values.map(literal);
  return words.length <= 1 ? (words[0] ?? "") : `${words.slice(0, -1).join(", ")} or ${words.at(-1)}`;
}
