import { GatewayError } from "../../shared/errors.js";

/** What a client API key may do. "admin" implies every other scope. */
export const scopes = ["models.read", "chat.create", "embeddings.create", "audio.create", "cron.manage", "memory.read", "memory.write", "admin"] as const;

export type Scope = (typeof scopes)[number];

/** Every scope, for the admin token and keys with "admin". */
export const allScopes: ReadonlySet<Scope> = new Set(scopes);

export function isScope(value: string): value is Scope {
  return (scopes as readonly string[]).includes(value);
}

/** The scopes a key with these grants holds: "admin" expands to all of them. */
export function effectiveScopes(granted: readonly Scope[]): ReadonlySet<Scope> {
  return granted.includes("admin") ? allScopes : new Set(granted);
}

/** Throws a permission error naming the scope when the holder lacks it. */
export function requireScope(held: ReadonlySet<Scope>, scope: Scope, callerId: string): void {
  if (held.has(scope)) return;
  const what = scope === "admin" ? "admin access" : `the "${scope}" scope`;
  throw new GatewayError("permission", `This API key (${callerId}) lacks ${what}, which this call requires`, { code: "missing_scope" });
}
