import { useState } from "preact/hooks";
import { rpc } from "../api.js";
import { Badge, Loading } from "../components/status.js";
import { useRpc } from "../components/use-rpc.js";
import { count, enumName, usd, when } from "../format.js";
import { html } from "../html.js";

/** Scheduled jobs (next run, history, run now, enable/disable) and the background task queue. */
export function AutomationPage() {
  const jobs = useRpc("CronService/ListJobs", { includeSystem: true, pageSize: 200 });
  const tasks = useRpc("TasksService/ListTasks", { pageSize: 100 });
  const [history, setHistory] = useState(undefined);
  const [message, setMessage] = useState("");
  const act = async (what, call) => {
    try {
      await call();
      setMessage(what);
    } catch (error) {
      setMessage(error.message);
    }
    jobs.reload();
    tasks.reload();
  };
  const toggle = (job) =>
    act(`${job.jobId} ${job.enabled === false ? "enabled" : "disabled"}`, () =>
      rpc("CronService/UpdateJob", { job: { ...job, enabled: job.enabled === false } }),
    );
  const runNow = (job) => act(`${job.jobId} started`, () => rpc("CronService/RunJobNow", { jobId: job.jobId }));
  const showHistory = async (job) => setHistory({ jobId: job.jobId, runs: (await rpc("CronService/ListJobRuns", { jobId: job.jobId, pageSize: 20 })).jobRuns });
  return html`
    <h1>Automation</h1>
    ${message && html`<p class="notice" role="status">${message}</p>`}
    <h2>Jobs</h2>
    <${Loading} state=${jobs}>
      <table>
        <thead><tr><th>Job</th><th>Schedule</th><th>Owner</th><th>Enabled</th><th>Next run</th><th>Last run</th><th>Runs</th><th></th></tr></thead>
        <tbody>${(jobs.data?.jobs ?? []).map(
          (job) => html`<tr data-job=${job.jobId}><td>${job.name || job.jobId}</td><td><code>${scheduleText(job.schedule)}</code></td><td>${job.owner}</td>
            <td>${job.enabled === false ? "no" : "yes"}</td><td>${when(job.nextRunAt)}</td><td>${when(job.lastRunAt)}</td><td>${job.runCount}</td>
            <td>${job.source === "system" ? null : html`<button onClick=${() => runNow(job)}>Run now</button> <button onClick=${() => toggle(job)}>${job.enabled === false ? "Enable" : "Disable"}</button> `}
              <button class="link" onClick=${() => showHistory(job)}>History</button></td></tr>`,
        )}</tbody>
      </table>
    <//>
    ${history && html`<${JobHistory} history=${history} />`}
    <h2>Tasks</h2>
    <${Loading} state=${tasks}>
      <table>
        <thead><tr><th>Task</th><th>Owner</th><th>Model</th><th>State</th><th>Attempts</th><th>Created</th><th>Finished</th><th>Cost</th><th></th></tr></thead>
        <tbody>${(tasks.data?.tasks ?? []).map((task) => {
          const state = enumName(task.state, "TASK_STATE_");
          return html`<tr><td><code>${task.taskId}</code></td><td>${task.owner}</td><td>${task.model}</td><td><${Badge} text=${state} /> ${task.errorMessage}</td>
            <td>${task.attempts}</td><td>${when(task.createdAt)}</td><td>${when(task.finishedAt)}</td><td>${usd(task.costUsd)}</td>
            <td>${(state === "queued" || state === "running") && html`<button class="danger" onClick=${() => act(`${task.taskId} cancelled`, () => rpc("TasksService/CancelTask", { taskId: task.taskId, reason: "cancelled in the console" }))}>Cancel</button>`}</td></tr>`;
        })}</tbody>
      </table>
    <//>
  `;
}

function JobHistory({ history }) {
  return html`
    <h3>History of ${history.jobId}</h3>
    ${history.runs.length === 0 ? html`<p class="muted">No runs yet.</p>` : null}
    <table>
      <thead><tr><th>Tick</th><th>Attempt</th><th>Status</th><th>Message</th><th>Tokens</th><th>Cost</th></tr></thead>
      <tbody>${history.runs.map(
        (run) => html`<tr><td>${when(run.tickAt)}</td><td>${run.attempt}</td><td><${Badge} text=${enumName(run.status, "JOB_RUN_STATUS_")} /></td>
          <td>${run.message || run.reason}</td><td>${count(Number(run.inputTokens) + Number(run.outputTokens))}</td><td>${usd(run.costUsd)}</td></tr>`,
      )}</tbody>
    </table>
  `;
}

function scheduleText(schedule) {
  if (schedule?.cron) return `${schedule.cron.expression}${schedule.cron.timezone ? ` (${schedule.cron.timezone})` : ""}`;
  if (schedule?.everyMs) return `every ${Number(schedule.everyMs) / 1000} s`;
  if (schedule?.at) return `at ${when(schedule.at)}`;
  return "";
}
