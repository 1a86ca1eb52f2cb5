// The ids of the memory system jobs (rows in cron_jobs, source "system"): automation registers them,
// and memory's status reads their job runs (last and next maintenance, backfill and audit) by them.
export const memoryMaintenanceJobId = "memory-maintenance";
export const embeddingsBackfillJobId = "memory-embeddings-backfill";
export const integrityAuditJobId = "integrity-audit";
