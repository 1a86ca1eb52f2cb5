import { type Incident, listIncidents } from "../automation/incidents.js";
import type { SystemJobStatus } from "../memory/memory-status.js";
import { systemJobsStatus } from "../memory/system-jobs-status.js";
import { countActiveIncidents, countEnabledJobs, countQueuedTasks, enabledJobsWithLatestRun, jobsDue } from "../store/automation-diagnostics-repository.js";
import type { Store } from "../store/open-store.js";

/** How many jobs are looked at for failures, and how many jobs, incidents and tasks are listed or counted. */
export const inspectedJobCount = 500;
export const listedCount = 20;
export const countCap = 10_000;

export interface JobOutcome {
  jobId: string;
  name: string;
  nextRunAt: number | undefined;
  lastRunAt: number | undefined;
  lastStatus: string;
  lastMessage: string;
}

export interface AutomationSection {
  schedulerState: string;
  enabledJobs: number;
  jobsDue: JobOutcome[];
  failingJobs: JobOutcome[];
  systemJobs: SystemJobStatus[];
  queuedTasks: number;
}

export interface SelfHealingSection {
  mode: string;
  activeIncidents: Incident[];
  activeCount: number;
  recentIncidents: Incident[];
  remediations: Incident[];
}

const failedStatuses = new Set(["failed", "interrupted"]);

/** The scheduler, the jobs due and failing, the system jobs' last outcomes, the task queue. */
export async function automationSection(store: Store, schedulerState: string, now: number): Promise<AutomationSection> {
  const [jobs, enabledJobs, due, queuedTasks, system] = await Promise.all([
    enabledJobsWithLatestRun(store.db, inspectedJobCount),
    countEnabledJobs(store.db),
    jobsDue(store.db, now, listedCount),
    countQueuedTasks(store.db, countCap),
    systemJobsStatus(store.db),
  ]);
  const outcomes = jobs.map(
    (job): JobOutcome => ({
      jobId: job.job_id,
      name: job.name,
      nextRunAt: optionalNumber(job.next_run_at),
      lastRunAt: optionalNumber(job.last_started_at),
      lastStatus: job.last_status ?? "",
      lastMessage: job.last_message ?? "",
    }),
  );
  return {
    schedulerState,
    enabledJobs,
    jobsDue: due.map((job) => ({
      jobId: job.job_id,
      name: job.name,
      nextRunAt: optionalNumber(job.next_run_at),
      lastRunAt: undefined,
      lastStatus: "",
      lastMessage: "",
    })),
    failingJobs: outcomes.filter((job) => failedStatuses.has(job.lastStatus)).slice(0, listedCount),
    systemJobs: [system.maintenance, system.backfill, system.audit].filter((job) => job !== undefined),
    queuedTasks,
  };
}

/** The watchdog's mode, the incidents open now and the most recent ones, and what was done about them. */
export async function selfHealingSection(store: Store, mode: string): Promise<SelfHealingSection> {
  const [activeIncidents, activeCount, recentIncidents] = await Promise.all([
    listIncidents(store.db, { includeResolved: false, limit: listedCount }),
    countActiveIncidents(store.db, countCap),
    listIncidents(store.db, { includeResolved: true, limit: listedCount }),
  ]);
  return { mode, activeIncidents, activeCount, recentIncidents, remediations: recentIncidents.filter((incident) => incident.remediation !== undefined) };
}

function optionalNumber(value: number | null): number | undefined {
  return value === null ? undefined : Number(value);
}
