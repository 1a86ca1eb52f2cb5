import { z } from "zod";

/**
 * Reads the config schema's own structure, so error messages (the keys a table accepts) and the
 * salvage before cross-table checks (which values may be left out) never drift from the schema.
 */

/** The schema of the value itself, without optional/default/nullable wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodNullable) {
    current = current.unwrap() as z.ZodType;
  }
  return current;
}

function unionOptions(schema: z.ZodType): z.ZodType[] | undefined {
  return schema instanceof z.ZodUnion ? (schema.options as readonly z.ZodType[]).slice() : undefined;
}

/** The schema of the value at `path` (key names and array indexes), or undefined when the schema has no such place. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let current: z.ZodType | undefined = root;
  for (const segment of path) {
    if (current === undefined) return undefined;
    current = childSchema(unwrap(current), segment);
  }
  return current;
}

function childSchema(schema: z.ZodType, segment: PropertyKey): z.ZodType | undefined {
  if (schema instanceof z.ZodObject) return (schema.shape as Record<string, z.ZodType>)[String(segment)];
  if (schema instanceof z.ZodArray) return typeof segment === "number" ? (schema.element as z.ZodType) : undefined;
  if (schema instanceof z.ZodRecord) return schema.valueType as z.ZodType;
  // A key of a union (a secret reference's `variable` or `path`) belongs to whichever option has it.
  for (const option of unionOptions(schema) ?? []) {
    const child = childSchema(unwrap(option), segment);
    if (child !== undefined) return child;
  }
  return undefined;
}

/** The keys the table at `path` accepts (every option's, for a union of tables), in schema order. */
export function keysAt(root: z.ZodType, path: readonly PropertyKey[]): string[] {
  const schema = schemaAt(root, path);
  return schema === undefined ? [] : keysOf(unwrap(schema));
}

function keysOf(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  const options = unionOptions(schema) ?? [];
  return [...new Set(options.flatMap((option) => keysOf(unwrap(option))))];
}

/** True when the value at `path` may be left out (it is optional or has a default). */
export function mayBeOmitted(root: z.ZodType, path: readonly PropertyKey[]): boolean {
  const schema = schemaAt(root, path);
  return schema?.safeParse(undefined).success === true;
}
