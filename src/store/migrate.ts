import { type Kysely, type Migration, Migrator } from "kysely";
import * as createRuns from "./migrations/0001-create-runs.js";
import * as addRunKind from "./migrations/0002-add-run-kind.js";
import * as addRunCacheHit from "./migrations/0003-add-run-cache-hit.js";
import * as createVaultSecrets from "./migrations/0004-create-vault-secrets.js";
import * as createApiKeys from "./migrations/0005-create-api-keys.js";
import * as createAuthProfiles from "./migrations/0006-create-auth-profiles.js";
import * as addRunCostAndRouting from "./migrations/0007-add-run-cost-and-routing.js";
import * as createModelPrices from "./migrations/0008-create-model-prices.js";
import * as createBudgets from "./migrations/0009-create-budgets.js";
import * as createAutomation from "./migrations/0010-create-automation.js";
import * as createMemory from "./migrations/0011-create-memory.js";
import * as addRunsStatusCreatedIndex from "./migrations/0012-add-runs-status-created-index.js";

/** Every migration, in order. Imported statically so the daemon needs no file-system scan. */
const migrations: Record<string, Migration> = {
  "0001-create-runs": createRuns,
  "0002-add-run-kind": addRunKind,
  "0003-add-run-cache-hit": addRunCacheHit,
  "0004-create-vault-secrets": createVaultSecrets,
  "0005-create-api-keys": createApiKeys,
  "0006-create-auth-profiles": createAuthProfiles,
  "0007-add-run-cost-and-routing": addRunCostAndRouting,
  "0008-create-model-prices": createModelPrices,
  "0009-create-budgets": createBudgets,
  "0010-create-automation": createAutomation,
  "0011-create-memory": createMemory,
  "0012-add-runs-status-created-index": addRunsStatusCreatedIndex,
};

/** The migrations the database records as applied, and those this build knows but has not applied. */
export async function migrationStatus(db: Kysely<any>): Promise<{ applied: number; pending: string[] }> {
  const infos = await new Migrator({ db, provider: { getMigrations: async () => migrations } }).getMigrations();
  return {
    applied: infos.filter((info) => info.executedAt !== undefined).length,
    pending: infos.filter((info) => info.executedAt === undefined).map((info) => info.name),
  };
}

/** Brings the schema up to date; returns how many migrations the schema now has. */
export async function migrateToLatest(db: Kysely<any>): Promise<number> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
  return Object.keys(migrations).length;
}

/** The migrations this code has that the schema lacks, in order (palyra doctor reports them before applying any). */
export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const infos = await migrator.getMigrations();
  return infos.filter((info) => info.executedAt === undefined).map((info) => info.name);
}
