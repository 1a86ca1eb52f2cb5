import type { Kysely } from "kysely";
import type { AuthProfileRow, AuthProfileRowUpdate, Database, NewAuthProfileRow, OAuthAttemptRow } from "./tables.js";

/** Creates the profile, or replaces every column of the one with the same id (its generation moves on). */
export async function upsertAuthProfile(db: Kysely<Database>, row: NewAuthProfileRow): Promise<void> {
  const { profile_id: _id, created_at: _created, ...replaced } = row;
  await db
    .insertInto("auth_profiles")
    .values(row)
    .onConflict((conflict) => conflict.column("profile_id").doUpdateSet((eb) => ({ ...replaced, generation: eb("auth_profiles.generation", "+", 1) })))
    .execute();
}

/** Changes what a profile is called and whom it serves, leaving its credential and generation alone. */
export async function updateAuthProfileDetails(
  db: Kysely<Database>,
  profileId: string,
  details: Pick<AuthProfileRowUpdate, "name" | "agent_id" | "provider_kind" | "updated_at">,
): Promise<void> {
  await db.updateTable("auth_profiles").set(details).where("profile_id", "=", profileId).execute();
}

export async function findAuthProfile(db: Kysely<Database>, profileId: string): Promise<AuthProfileRow | undefined> {
  return db.selectFrom("auth_profiles").selectAll().where("profile_id", "=", profileId).executeTakeFirst();
}

/** Profiles in id order: all of them, or one agent's (and the global ones when asked). */
export async function listAuthProfiles(
  db: Kysely<Database>,
  filter: { agentId?: string | undefined; includeGlobal?: boolean } = {},
): Promise<AuthProfileRow[]> {
  let query = db.selectFrom("auth_profiles").selectAll();
  const { agentId } = filter;
  if (agentId !== undefined) {
    query = query.where((eb) => (filter.includeGlobal ? eb.or([eb("agent_id", "=", agentId), eb("agent_id", "is", null)]) : eb("agent_id", "=", agentId)));
  }
  return query.orderBy("profile_id").execute();
}

/** The profile an agent has for a provider kind (at most one exists). */
export async function findAgentProfile(db: Kysely<Database>, agentId: string, providerKind: string): Promise<AuthProfileRow | undefined> {
  return db
    .selectFrom("auth_profiles")
    .selectAll()
    .where("agent_id", "=", agentId)
    .where("provider_kind", "=", providerKind)
    .orderBy("profile_id")
    .executeTakeFirst();
}

export async function deleteAuthProfile(db: Kysely<Database>, profileId: string): Promise<boolean> {
  const result = await db.deleteFrom("auth_profiles").where("profile_id", "=", profileId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** OAuth profiles with a refresh token whose access token expires at or before `dueBy`. */
export async function listRefreshDueProfiles(db: Kysely<Database>, dueBy: number): Promise<AuthProfileRow[]> {
  return db
    .selectFrom("auth_profiles")
    .selectAll()
    .where("credential_kind", "=", "oauth")
    .where("refresh_token_ref", "is not", null)
    .where("expires_at", "<=", dueBy)
    .orderBy("expires_at")
    .execute();
}

/**
 * Writes `patch` only if the profile is still at `generation`, so a writer that read an older state
 * never overwrites a newer one. `advance` moves the generation on (credential changes do; recording
 * a failure does not, so a late success still lands). Returns whether the write happened.
 */
export async function updateAuthProfileAtGeneration(
  db: Kysely<Database>,
  profileId: string,
  generation: number,
  patch: AuthProfileRowUpdate,
  advance: boolean,
): Promise<boolean> {
  const result = await db
    .updateTable("auth_profiles")
    .set((eb) => ({ ...patch, ...(advance && { generation: eb("generation", "+", 1) }) }))
    .where("profile_id", "=", profileId)
    .where("generation", "=", generation)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function insertOAuthAttempt(db: Kysely<Database>, row: OAuthAttemptRow): Promise<void> {
  await db.insertInto("oauth_attempts").values(row).execute();
}

/**
 * Removes and returns the attempt with this state hash. Only one caller can take it: the row is
 * returned only to the caller whose delete removed it.
 */
export async function takeOAuthAttempt(db: Kysely<Database>, stateHash: string): Promise<OAuthAttemptRow | undefined> {
  const row = await db.selectFrom("oauth_attempts").selectAll().where("state_hash", "=", stateHash).executeTakeFirst();
  if (row === undefined) return undefined;
  const result = await db.deleteFrom("oauth_attempts").where("state_hash", "=", stateHash).executeTakeFirst();
  return Number(result.numDeletedRows) === 1 ? row : undefined;
}

/** Removes and returns the attempts that expired at or before `now`. */
export async function takeExpiredOAuthAttempts(db: Kysely<Database>, now: number): Promise<OAuthAttemptRow[]> {
  const rows = await db.selectFrom("oauth_attempts").selectAll().where("expires_at", "<=", now).execute();
  if (rows.length === 0) return [];
  await db
    .deleteFrom("oauth_attempts")
    .where(
      "state_hash",
      "in",
      rows.map((row) => row.state_hash),
    )
    .execute();
  return rows;
}
