import { type Command, InvalidArgumentError } from "commander";
import {
  CancelTaskResponse,
  GetTaskResponse,
  ListTasksResponse,
  SubmitTaskResponse,
  type Task,
  TaskState,
  taskStateFromJSON,
  taskStateToJSON,
} from "../../../gen/grpc-js/palyra/gateway/v1/tasks.js";
import { addClientFlags, type ClientFlags, positiveInteger, withDaemon } from "../client-flags.js";
import { parseDurationSeconds } from "../duration.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine } from "../output.js";

interface SubmitFlags extends ClientFlags {
  prompt: string;
  model?: string;
  agentId?: string;
  notBefore?: Date;
  expiresIn?: number;
  parentRunId?: string;
  maxAttempts?: number;
  id?: string;
}

interface ListFlags extends ClientFlags {
  state?: TaskState[];
  pageSize?: number;
  pageToken?: string;
}

interface CancelFlags extends ClientFlags {
  reason?: string;
}

/** palyra tasks submit | list | show | cancel: the TasksService RPCs (a key sees only its own tasks). */
export function registerTasksCommand(tasks: Command): void {
  addClientFlags(tasks.command("submit").description("queue a prompt to run later, as you"))
    .requiredOption("--prompt <text>", "the user message to run")
    .option("--model <id>", "a registry model (default: the daemon chooses)")
    .option("--agent-id <id>", "run as this agent (its budgets, auth profiles and ledger rows)")
    .option("--not-before <time>", "not before this RFC 3339 instant, or after a delay such as 30s or 2h (default: now)", parseNotBefore)
    .option("--expires-in <duration>", "expire unless started within this long from now, such as 10m", parseDurationSeconds)
    .option("--parent-run-id <id>", "cancel the task (and its run) when this run is cancelled")
    .option("--max-attempts <n>", "attempts for transient failures, 1-16 (default: 1)", positiveInteger)
    .option("--id <task-id>", "the task's id (default: the daemon picks one)")
    .action(async (flags: SubmitFlags) => {
      const task = {
        taskId: flags.id ?? "",
        prompt: flags.prompt,
        model: flags.model ?? "",
        agentId: flags.agentId ?? "",
        notBefore: flags.notBefore,
        expiresAt: flags.expiresIn === undefined ? undefined : new Date(Date.now() + flags.expiresIn * 1000),
        maxAttempts: flags.maxAttempts ?? 0,
        parentRunId: flags.parentRunId ?? "",
      };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.tasks();
        return callUnary<SubmitTaskResponse>((done) => client.submitTask({ task: taskRequest(task) }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(SubmitTaskResponse.toJSON(response));
      const submitted = response.task;
      if (submitted !== undefined) printLine(`${stateOf(submitted)} task ${submitted.taskId}, not before ${formatTime(submitted.notBefore)}`);
    });

  addClientFlags(tasks.command("list").description("list tasks, newest first"))
    .option("--state <list>", "only these states, comma-separated: queued, running, succeeded, failed, cancelled, expired", parseStates)
    .option("--page-size <n>", "tasks per page, 1-500 (default: 50)", positiveInteger)
    .option("--page-token <token>", "the next page, as an earlier list printed it")
    .action(async (flags: ListFlags) => {
      const request = { pageSize: flags.pageSize ?? 0, pageToken: flags.pageToken ?? "", states: flags.state ?? [] };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.tasks();
        return callUnary<ListTasksResponse>((done) => client.listTasks(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(ListTasksResponse.toJSON(response));
      const headers = ["id", "state", "model", "agent", "not before", "attempts", "created", "run", "error"];
      printLine(formatTable(headers, response.tasks.map(taskRow)));
      if (response.nextPageToken) printLine(`more: --page-token ${response.nextPageToken}`);
    });

  addClientFlags(tasks.command("show").description("show one task and its result"))
    .argument("<id>", "the task id (from tasks list)")
    .action(async (taskId: string, flags: ClientFlags) => {
      const response = await withDaemon(flags, (clients) => {
        const client = clients.tasks();
        return callUnary<GetTaskResponse>((done) => client.getTask({ taskId }, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(GetTaskResponse.toJSON(response));
      if (response.task !== undefined) printTask(response.task);
    });

  addClientFlags(tasks.command("cancel").description("cancel a queued task, or a running task's run"))
    .argument("<id>", "the task id (from tasks list)")
    .option("--reason <text>", "recorded with the task")
    .action(async (taskId: string, flags: CancelFlags) => {
      const request = { taskId, reason: flags.reason ?? "" };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.tasks();
        return callUnary<CancelTaskResponse>((done) => client.cancelTask(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson(CancelTaskResponse.toJSON(response));
      if (response.task !== undefined) printLine(`task ${taskId}: ${stateOf(response.task)}`);
    });
}

/** The request's task: only what a caller sets (daemon-set fields are left at their defaults). */
function taskRequest(fields: Partial<Task>): Task {
  return {
    taskId: "",
    owner: "",
    model: "",
    agentId: "",
    maxAttempts: 0,
    parentRunId: "",
    state: TaskState.TASK_STATE_UNSPECIFIED,
    attempts: 0,
    runId: "",
    resultText: "",
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    costEstimated: false,
    errorKind: "",
    errorMessage: "",
    ...fields,
  };
}

function parseNotBefore(value: string): Date {
  if (/^\s*(\d+[smhdw])+\s*$/i.test(value)) return new Date(Date.now() + parseDurationSeconds(value) * 1000);
  const at = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value.trim()) || Number.isNaN(at)) {
    throw new InvalidArgumentError("must be an RFC 3339 instant such as 2026-12-24T18:00:00Z, or a delay such as 30s or 2h");
  }
  return new Date(at);
}

function parseStates(value: string): TaskState[] {
  return value.split(",").map((name) => {
    const state = taskStateFromJSON(`TASK_STATE_${name.trim().toUpperCase()}`);
    if (state === TaskState.UNRECOGNIZED || state === TaskState.TASK_STATE_UNSPECIFIED) {
      throw new InvalidArgumentError(`unknown state "${name.trim()}": use queued, running, succeeded, failed, cancelled or expired`);
    }
    return state;
  });
}

const stateOf = (task: Task) => enumLabel(taskStateToJSON(task.state), "TASK_STATE_");

function taskRow(task: Task): string[] {
  return [
    task.taskId,
    stateOf(task),
    task.model || "-",
    task.agentId || "-",
    formatTime(task.notBefore),
    `${task.attempts}/${task.maxAttempts}`,
    formatTime(task.createdAt),
    task.runId || "-",
    task.errorKind || "-",
  ];
}

function printTask(task: Task): void {
  const lines: [string, string][] = [
    ["task", task.taskId],
    ["state", stateOf(task)],
    ["owner", task.owner],
    ["input", task.prompt !== undefined ? task.prompt : "(a message envelope)"],
    ["model", task.model || "(the daemon chooses)"],
    ["agent", task.agentId || "-"],
    ["not before", formatTime(task.notBefore)],
    ["expires", formatTime(task.expiresAt, "never")],
    ["attempts", `${task.attempts} of ${task.maxAttempts}`],
    ["parent run", task.parentRunId || "-"],
    ["created", formatTime(task.createdAt)],
    ["started", formatTime(task.startedAt)],
    ["finished", formatTime(task.finishedAt)],
    ["run", task.runId || "-"],
    ["tokens", `${task.inputTokens} in, ${task.outputTokens} out`],
    ["cost", `$${task.costUsd.toFixed(6)}${task.costEstimated ? " (estimated)" : ""}`],
  ];
  if (task.errorKind) lines.push(["error", `${task.errorKind}: ${task.errorMessage}`]);
  const width = Math.max(...lines.map(([label]) => label.length));
  for (const [label, value] of lines) printLine(`${`${label}:`.padEnd(width + 2)}${value}`);
  if (task.resultText) {
    printLine();
    printLine(task.resultText);
  }
}
