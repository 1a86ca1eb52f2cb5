/** A system job's schedule and last outcome, as GetMemoryStatus shows it. */
export interface SystemJobStatus {
  jobId: string;
  lastRunAt: number | undefined;
  nextRunAt: number | undefined;
  lastStatus: string;
  lastMessage: string;
}

/** The system jobs that keep the journal; each unset until something runs it (automation fills them in). */
export interface SystemJobsStatus {
  maintenance?: SystemJobStatus | undefined;
  backfill?: SystemJobStatus | undefined;
  audit?: SystemJobStatus | undefined;
}

export interface MemoryStatus extends SystemJobsStatus {
  items: number;
  bytes: number;
  /** Items without a vector for the current embeddings model (all of them when there is none). */
  awaitingEmbedding: number;
  embeddingModelId: string | undefined;
}
