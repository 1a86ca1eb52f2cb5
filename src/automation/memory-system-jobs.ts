import type { Kysely } from "kysely";
import type { MemoryConfig } from "../config/schema.js";
import { EmbeddingsBackfill } from "../memory/embeddings-backfill.js";
import { MemoryMaintenance } from "../memory/memory-maintenance.js";
import { embeddingsBackfillJobId, integrityAuditJobId, memoryMaintenanceJobId } from "../memory/system-job-ids.js";
import type { RunEngine } from "../runs/run-engine.js";
import type { Database } from "../store/tables.js";
import type { SystemJob, SystemJobResult } from "./system-jobs.js";

export interface SystemJobsDeps {
  db: Kysely<Database>;
  engine: Pick<RunEngine, "embed">;
  memory: MemoryConfig;
  /** [automation] audit_interval_ms. */
  auditIntervalMs: number;
  /** The current embeddings model (default_embeddings_model_id, or the registry's first), read at each tick. */
  embeddingsModelId: () => string | undefined;
  /** The integrity audit; without one the audit job is not registered. */
  auditHandler?: ((signal: AbortSignal) => Promise<SystemJobResult>) | undefined;
  now: () => number;
}

/** The daemon's own jobs, with their intervals from the config. */
export function daemonSystemJobs(deps: SystemJobsDeps): SystemJob[] {
  const { db, memory, now, embeddingsModelId } = deps;
  const maintenance = new MemoryMaintenance({
    db,
    now,
    maxItems: memory.max_items,
    maxBytes: memory.max_bytes,
    vacuumIntervalMs: memory.vacuum_interval_ms,
    embeddingsModelId,
  });
  const backfill = new EmbeddingsBackfill({ db, engine: deps.engine, now, embeddingsModelId, batchSize: memory.backfill_batch_size });
  const jobs: SystemJob[] = [
    {
      jobId: memoryMaintenanceJobId,
      name: "memory maintenance",
      description: "expire memory items, cap each agent at max_items and max_bytes, optimise the store",
      everyMs: memory.maintenance_interval_ms,
      handler: async (signal, progress) => ({ message: (await maintenance.run(signal, progress)).message }),
    },
    {
      jobId: embeddingsBackfillJobId,
      name: "memory embeddings backfill",
      description: "embed memory items that have no vector for the current embeddings model",
      everyMs: memory.backfill_interval_ms,
      handler: (signal, progress) => backfill.run(signal, progress),
    },
  ];
  const audit = deps.auditHandler;
  if (audit !== undefined) {
    jobs.push({
      jobId: integrityAuditJobId,
      name: "integrity audit",
      description: "check vault secrets, their references, budget counters and open runs",
      everyMs: deps.auditIntervalMs,
      handler: (signal) => audit(signal),
    });
  }
  return jobs;
}
