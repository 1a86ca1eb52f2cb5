import type { Compilable, CompiledQuery, DialectAdapter, Kysely, QueryResult } from "kysely";
import { LRUCache } from "lru-cache";
import type { Database } from "./tables.js";

/**
 * A statement kysely builds and compiles once per dialect and shape, then runs with new values: on
 * the paths every run takes (admission, settlement), building the operation tree and compiling it
 * cost more than SQLite takes to run the statement.
 *
 * `build` gets the parameters with every value (a leaf of the objects and arrays) replaced by a
 * placeholder, and must pass each one to kysely as a value: the compiled SQL then only holds them as
 * bind parameters, and each run substitutes the real values at the placeholders' positions. Values a
 * statement compiles into its SQL text, or that decide its shape, cannot be placeholders; the shape
 * (array lengths, which keys are present) is part of the cache key, and a placeholder found in the
 * SQL text or missing from the parameters is an error when the statement is first compiled.
 */
export interface CompiledStatement<P, R> {
  execute(db: Kysely<Database>, params: P): Promise<QueryResult<R>>;
}

const placeholderMark = "\u0000palyra-parameter:";

interface Template {
  compiled: CompiledQuery;
  /** For each bind parameter: the index of the value it takes, or -1 when it is a constant of the statement. */
  sources: number[];
}

/** A statement compiled once per dialect and parameter shape; see CompiledStatement. */
export function compiledStatement<P, R>(build: (db: Kysely<Database>, params: P) => Compilable<R>, maxShapes = 32): CompiledStatement<P, R> {
  // The root database and its transactions share one adapter, so one cache serves both.
  const byDialect = new WeakMap<DialectAdapter, LRUCache<string, Template>>();
  return {
    async execute(db, params) {
      const values: unknown[] = [];
      const shape = flatten(params, values, []).join(",");
      const adapter = db.getExecutor().adapter;
      let templates = byDialect.get(adapter);
      if (templates === undefined) {
        templates = new LRUCache({ max: maxShapes });
        byDialect.set(adapter, templates);
      }
      let template = templates.get(shape);
      if (template === undefined) {
        template = compileTemplate(db, build, params, values.length);
        templates.set(shape, template);
      }
      const parameters = template.sources.map((source, index) => (source < 0 ? template.compiled.parameters[index] : values[source]));
      return db.executeQuery<R>({ ...template.compiled, parameters });
    },
  };
}

function compileTemplate<P, R>(db: Kysely<Database>, build: (db: Kysely<Database>, params: P) => Compilable<R>, params: P, valueCount: number): Template {
  let next = 0;
  const placeholders = mapLeaves(params, () => `${placeholderMark}${next++}`) as P;
  const compiled = build(db, placeholders).compile();
  if (compiled.sql.includes(placeholderMark)) throw new Error(`a statement compiled a parameter into its SQL text: ${compiled.sql}`);
  const seen = new Set<number>();
  const sources = compiled.parameters.map((parameter) => {
    if (typeof parameter !== "string" || !parameter.startsWith(placeholderMark)) return -1;
    const index = Number(parameter.slice(placeholderMark.length));
    seen.add(index);
    return index;
  });
  if (seen.size !== valueCount) throw new Error(`a statement left ${valueCount - seen.size} of its ${valueCount} parameters out: ${compiled.sql}`);
  return { compiled, sources };
}

/** Appends the leaves of a value to `values` in a fixed order, and returns its shape (keys present, array lengths). */
function flatten(value: unknown, values: unknown[], shape: string[]): string[] {
  if (Array.isArray(value)) {
    shape.push(`[${value.length}`);
    for (const item of value) flatten(item, values, shape);
  } else if (isRecord(value)) {
    for (const key in value) {
      // kysely leaves undefined values out of a statement, so they are not parameters.
      if (value[key] === undefined) continue;
      shape.push(key);
      flatten(value[key], values, shape);
    }
    shape.push("}");
  } else {
    values.push(value);
  }
  return shape;
}

/** The same structure with each leaf replaced, in the order flatten visits them. */
function mapLeaves(value: unknown, leaf: () => unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => mapLeaves(item, leaf));
  if (isRecord(value)) {
    const mapped: Record<string, unknown> = {};
    for (const key in value) if (value[key] !== undefined) mapped[key] = mapLeaves(value[key], leaf);
    return mapped;
  }
  return leaf();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Date) && !(value instanceof Uint8Array);
}
