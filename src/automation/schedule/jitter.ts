import { createHash } from "node:crypto";

/** The largest jitter a job may ask for: a tick fires at most this long after its schedule's instant. */
export const maxJitterMs = 60_000;

/**
 * The delay of one tick, below `jitterMs`: a hash of the job and the tick, so the same job and tick
 * always get the same offset (a restart does not move a tick) while jobs on the same schedule spread out.
 */
export function jitterOffsetMs(jobId: string, tickMs: number, jitterMs: number): number {
  if (jitterMs <= 0) return 0;
  const digest = createHash("sha256").update(`${jobId}\n${tickMs}`).digest();
  return digest.readUInt32BE(0) % jitterMs;
}
