import { invalidRequest } from "../../shared/errors.js";
import type { ApiKeyRow } from "../../store/tables.js";
import { isScope, scopes as knownScopes, type Scope } from "./scopes.js";

/** A client API key as operators see it: everything but the secret. */
export interface ApiKeyInfo {
  keyId: string;
  name: string;
  agentId: string | undefined;
  scopes: Scope[];
  /** Per minute; 0 means no limit. */
  rpmLimit: number;
  tpmLimit: number;
  /** Milliseconds since the epoch. */
  createdAt: number;
  expiresAt: number | undefined;
  revokedAt: number | undefined;
  prefix: string;
  /** Updated at most once a minute per key, so it may lag by that much. */
  lastUsedAt: number | undefined;
}

/** What an operator asks for when issuing a key, before validation. */
export interface NewApiKeyInput {
  name: string;
  agentId?: string | undefined;
  scopes: readonly string[];
  rpmLimit: number;
  tpmLimit: number;
  /** 0 means the key does not expire. */
  expiresInSeconds: number;
}

const maxNameLength = 128;
const maxAgentIdLength = 256;
/** A hundred years: longer is a typo, and keeps expiry times far inside safe integers. */
const maxExpiresInSeconds = 100 * 365 * 24 * 3600;

/** Throws an invalid_request error naming the first field that is wrong; returns the scopes, deduplicated. */
export function validateNewApiKey(input: NewApiKeyInput): Scope[] {
  const name = input.name.trim();
  if (name === "") throw invalidRequest("name", "is required");
  if (name.length > maxNameLength) throw invalidRequest("name", `must be at most ${maxNameLength} characters`);
  if ((input.agentId?.length ?? 0) > maxAgentIdLength) throw invalidRequest("agent_id", `must be at most ${maxAgentIdLength} characters`);
  if (input.scopes.length === 0) throw invalidRequest("scopes", `at least one scope is required (${knownScopes.join(", ")})`);
  input.scopes.forEach((scope, index) => {
    if (!isScope(scope)) throw invalidRequest(`scopes[${index}]`, `unknown scope "${scope}"; expected one of ${knownScopes.join(", ")}`);
  });
  for (const [param, value] of [
    ["rpm_limit", input.rpmLimit],
    ["tpm_limit", input.tpmLimit],
  ] as const) {
    if (!(Number.isSafeInteger(value) && value >= 0)) throw invalidRequest(param, "must be a non-negative integer (0 means no limit)");
  }
  if (!(Number.isSafeInteger(input.expiresInSeconds) && input.expiresInSeconds >= 0 && input.expiresInSeconds <= maxExpiresInSeconds)) {
    throw invalidRequest("expires_in_seconds", `must be between 0 (never) and ${maxExpiresInSeconds}`);
  }
  return [...new Set(input.scopes as Scope[])];
}

/** The scopes kept in a row; names this build does not know grant nothing. */
export function storedScopes(json: string): Scope[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter((scope): scope is Scope => typeof scope === "string" && isScope(scope)) : [];
}

export function toApiKeyInfo(row: ApiKeyRow): ApiKeyInfo {
  return {
    keyId: row.key_id,
    name: row.name,
    agentId: row.agent_id ?? undefined,
    scopes: storedScopes(row.scopes),
    rpmLimit: row.rpm_limit,
    tpmLimit: row.tpm_limit,
    createdAt: Number(row.created_at),
    expiresAt: optionalTime(row.expires_at),
    revokedAt: optionalTime(row.revoked_at),
    prefix: row.prefix,
    lastUsedAt: optionalTime(row.last_used_at),
  };
}

// PostgreSQL returns bigint columns as strings; SQLite as numbers.
function optionalTime(value: number | null): number | undefined {
  return value === null ? undefined : Number(value);
}
