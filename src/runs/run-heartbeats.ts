import type { Kysely } from "kysely";
import type { Logger } from "../shared/logger.js";
import { type PeriodicTask, startPeriodicTask } from "../shared/periodic-task.js";
import { writeRunHeartbeats } from "../store/runs-repository.js";
import type { Database } from "../store/tables.js";
import type { ActiveRuns, RunProgress } from "./active-runs.js";

/** Output characters per token, for the checkpoint of a run whose upstream has not reported usage yet. */
const charsPerToken = 4;

/**
 * Writes the heartbeat of every run that made progress since the last pass, every `intervalMs`, in
 * one transaction: runs.heartbeat_at and the usage so far. Runs only touch their in-memory progress
 * per chunk, so the cost is one small write per progressing run per interval, whatever the traffic.
 * A daemon killed mid-run leaves that checkpoint behind, and start-up charges it.
 */
export function startRunHeartbeats(deps: { db: Kysely<Database>; active: ActiveRuns; intervalMs: number; logger: Logger }): PeriodicTask {
  const written = new Map<string, number>();
  return startPeriodicTask(
    async () => {
      const beats = [];
      const inFlight = new Set<string>();
      for (const { runId, progress } of deps.active.inFlight()) {
        inFlight.add(runId);
        // Only runs that moved since their last beat: a run waiting on its upstream keeps its old heartbeat.
        if (progress.lastAt <= progress.startedAt || progress.lastAt === written.get(runId)) continue;
        written.set(runId, progress.lastAt);
        beats.push({ runId, at: progress.lastAt, ...checkpointOf(progress) });
      }
      for (const runId of written.keys()) if (!inFlight.has(runId)) written.delete(runId);
      await writeRunHeartbeats(deps.db, beats);
    },
    deps.intervalMs,
    (error) => deps.logger.warn({ err: error }, "could not write the heartbeat of runs in flight"),
  );
}

/** What a run has used so far: the upstream's report when it sent one, else the prompt and the output streamed, estimated. */
export function checkpointOf(progress: Readonly<RunProgress>): { inputTokens: number; outputTokens: number } {
  if (progress.reported !== undefined) return { inputTokens: progress.reported.inputTokens, outputTokens: progress.reported.outputTokens };
  return { inputTokens: progress.promptTokens, outputTokens: Math.ceil(progress.outputChars / charsPerToken) };
}
