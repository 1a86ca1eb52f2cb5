import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { setTimeout as pause } from "node:timers/promises";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentials, Metadata } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeysService } from "../../gen/es/palyra/gateway/v1/api_keys_pb.js";
import { type Task, TaskState, TasksService } from "../../gen/es/palyra/gateway/v1/tasks_pb.js";
import { GatewayServiceClient, type RunStreamResponse } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { type RunningGateway, startGateway } from "../../src/main.js";
import { startOf } from "../helpers/grpc-js-requests.js";
import { slowModelConfig, startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// glacial-echo waits a minute per chunk: its runs stay in flight, whatever a busy machine does meanwhile.
const config = `${slowModelConfig}
[[model_provider.providers]]
provider_id = "glacial"
kind = "deterministic"
stream_chunk_delay_ms = 60000

[[model_provider.models]]
model_id = "glacial-echo"
provider_id = "glacial"
`;
const hour = 3_600_000;
const admin = { headers: { authorization: `Bearer ${testToken}` } };
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

type TasksClient = Client<typeof TasksService>;
type SubmitFields = { prompt?: string; model?: string; notBefore?: number; expiresAt?: number; parentRunId?: string; maxAttempts?: number };

function submit(client: TasksClient, fields: SubmitFields, options = admin): Promise<Task> {
  const task = {
    input: { case: "prompt" as const, value: fields.prompt ?? "queued hello" },
    model: fields.model ?? "palyra-echo",
    parentRunId: fields.parentRunId ?? "",
    maxAttempts: fields.maxAttempts ?? 0,
    ...(fields.notBefore !== undefined && { notBefore: timestampFromMs(fields.notBefore) }),
    ...(fields.expiresAt !== undefined && { expiresAt: timestampFromMs(fields.expiresAt) }),
  };
  return client.submitTask({ task }, options).then((response) => response.task as Task);
}

/** Polls GetTask until the task is in `state` (a generous deadline, never a timed assertion). */
async function waitForState(client: TasksClient, taskId: string, state: TaskState, options = admin): Promise<Task> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const task = (await client.getTask({ taskId }, options)).task as Task;
    if (task.state === state) return task;
    if (Date.now() > deadline) throw new Error(`task ${taskId} is ${TaskState[task.state]}, not ${TaskState[state]}, after 60 s`);
    await pause(25);
  }
}

function ledgerRow(databaseFile: string, runId: string): Record<string, unknown> | undefined {
  const db = new Database(databaseFile, { readonly: true });
  try {
    return db.prepare("select status, caller_id, input_tokens, output_tokens, cost_usd from runs where run_id = ?").get(runId) as
      | Record<string, unknown>
      | undefined;
  } finally {
    db.close();
  }
}

async function expectCode(promise: Promise<unknown>, code: Code, mentioning: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConnectError);
  expect((error as ConnectError).code).toBe(code);
  expect((error as ConnectError).rawMessage).toContain(mentioning);
}

describe("the background queue through the daemon", () => {
  let gateway: TestGateway;
  let tasks: TasksClient;
  let runStreams: GatewayServiceClient;

  beforeAll(async () => {
    gateway = await startTestGateway({ configToml: config });
    tasks = createClient(TasksService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    runStreams = new GatewayServiceClient(gateway.grpcAddress, credentials.createInsecure());
  });

  afterAll(async () => {
    runStreams?.close();
    await gateway?.stop();
  });

  /** Starts a glacial RunStream (held open) and resolves with its run id once accepted. */
  function startParentRun(): Promise<string> {
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${testToken}`);
    const call = runStreams.runStream(metadata);
    call.on("error", () => undefined);
    call.write(startOf("the parent", { model: "glacial-echo" }));
    return new Promise((resolve) => call.once("data", (event: RunStreamResponse) => resolve(event.runId)));
  }

  it("runs a task and keeps its result: text, usage, cost and the run in the ledger", async () => {
    const submitted = await submit(tasks, { prompt: "background hello" });
    expect(submitted.owner).toBe("admin");
    const done = await waitForState(tasks, submitted.taskId, TaskState.SUCCEEDED);
    expect(done).toMatchObject({ resultText: "background hello", attempts: 1, errorKind: "" });
    expect(done.inputTokens).toBeGreaterThan(0n);
    expect(done.outputTokens).toBeGreaterThan(0n);
    expect(done.runId).not.toBe("");
    expect(done.startedAt).toBeDefined();
    expect(done.finishedAt).toBeDefined();
    const row = ledgerRow(gateway.databaseFile, done.runId);
    expect(row).toMatchObject({ status: "succeeded", caller_id: "admin", input_tokens: Number(done.inputTokens), output_tokens: Number(done.outputTokens) });
    expect(row?.cost_usd).toBe(done.costUsd);
  });

  it("holds a task until its not_before while one due sooner runs", async () => {
    const later = await submit(tasks, { prompt: "in an hour", notBefore: Date.now() + hour });
    const soon = await submit(tasks, { prompt: "in a moment", notBefore: Date.now() + 300 });
    expect(soon.state).toBe(TaskState.QUEUED);
    await waitForState(tasks, soon.taskId, TaskState.SUCCEEDED);
    expect((await tasks.getTask({ taskId: later.taskId }, admin)).task).toMatchObject({ state: TaskState.QUEUED, attempts: 0, runId: "" });
    await tasks.cancelTask({ taskId: later.taskId, reason: "" }, admin);
  });

  it("expires a task not started by expires_at, and CancelTask cancels running tasks' runs", async () => {
    // Four glacial tasks take every slot, so the next task cannot start before it expires.
    const blockers = await Promise.all([1, 2, 3, 4].map((n) => submit(tasks, { prompt: `blocker ${n}`, model: "glacial-echo" })));
    const running = await Promise.all(blockers.map((blocker) => waitForState(tasks, blocker.taskId, TaskState.RUNNING)));
    const expiring = await submit(tasks, { prompt: "too late", expiresAt: Date.now() + 500 });
    const expired = await waitForState(tasks, expiring.taskId, TaskState.EXPIRED);
    expect(expired).toMatchObject({ attempts: 0, runId: "", errorKind: "expired" });

    const cancelled = (await tasks.cancelTask({ taskId: running[0]?.taskId ?? "", reason: "no longer needed" }, admin)).task;
    expect(cancelled).toMatchObject({ state: TaskState.CANCELLED, errorKind: "cancelled", errorMessage: "no longer needed" });
    expect(ledgerRow(gateway.databaseFile, cancelled?.runId ?? "")).toMatchObject({ status: "cancelled" });
    for (const blocker of running.slice(1)) await tasks.cancelTask({ taskId: blocker.taskId, reason: "" }, admin);
  });

  it("cancels a task with its parent run: queued, running, and one submitted after the parent was cancelled", async () => {
    const parentRunId = await startParentRun();
    const queued = await submit(tasks, { prompt: "child later", notBefore: Date.now() + hour, parentRunId });
    const child = await submit(tasks, { prompt: "child now", model: "glacial-echo", parentRunId });
    const childRunning = await waitForState(tasks, child.taskId, TaskState.RUNNING);

    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${testToken}`);
    await new Promise((resolve, reject) =>
      runStreams.abortRun({ runId: parentRunId, reason: "parent aborted" }, metadata, (error) => (error ? reject(error) : resolve(undefined))),
    );

    const reason = `the parent run ${parentRunId} was cancelled`;
    expect(await waitForState(tasks, queued.taskId, TaskState.CANCELLED)).toMatchObject({ errorMessage: reason, runId: "" });
    const childCancelled = await waitForState(tasks, child.taskId, TaskState.CANCELLED);
    expect(childCancelled.errorMessage).toBe(reason);
    expect(childCancelled.runId).not.toBe("");
    expect(ledgerRow(gateway.databaseFile, childCancelled.runId)).toMatchObject({ status: "cancelled" });
    expect(childRunning.runId === "" || childRunning.runId === childCancelled.runId).toBe(true);

    const late = await submit(tasks, { prompt: "after the fact", parentRunId });
    expect(late).toMatchObject({ state: TaskState.CANCELLED, errorMessage: reason });
  });

  it("cancels a queued task; a finished task stays as it ended", async () => {
    const queued = await submit(tasks, { notBefore: Date.now() + hour });
    const cancelled = (await tasks.cancelTask({ taskId: queued.taskId, reason: "" }, admin)).task;
    expect(cancelled).toMatchObject({ state: TaskState.CANCELLED, errorKind: "cancelled", errorMessage: "cancelled by the admin" });
    const again = (await tasks.cancelTask({ taskId: queued.taskId, reason: "twice" }, admin)).task;
    expect(again?.errorMessage).toBe("cancelled by the admin");
  });

  it("refuses a bad submission naming the field", async () => {
    await expectCode(tasks.submitTask({ task: { model: "palyra-echo" } }, admin), Code.InvalidArgument, "input");
    await expectCode(submit(tasks, { maxAttempts: 17 }), Code.InvalidArgument, "max_attempts");
    const notBefore = Date.now() + hour;
    await expectCode(submit(tasks, { notBefore, expiresAt: notBefore - 1000 }), Code.InvalidArgument, "expires_at");
    await expectCode(submit(tasks, { model: "x".repeat(300) }), Code.InvalidArgument, "model");
    await expectCode(submit(tasks, { parentRunId: "no-such-run" }), Code.NotFound, "parent_run_id");
    await expectCode(tasks.getTask({ taskId: "no-such-task" }, admin), Code.NotFound, "no-such-task");
  });

  it("shows a client key only its own tasks; the admin sees all", async () => {
    const keys = createClient(ApiKeysService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const key = await keys.createApiKey({ name: "tasks", scopes: ["chat.create"] }, admin);
    const other = await keys.createApiKey({ name: "other", scopes: ["chat.create"] }, admin);
    const mine = await submit(tasks, { notBefore: Date.now() + hour }, as(key.secret));
    const theirs = await submit(tasks, { notBefore: Date.now() + hour }, as(other.secret));
    expect(mine.owner).toBe(key.key?.keyId);

    const listed = await tasks.listTasks({}, as(key.secret));
    expect(listed.tasks.map((task) => task.taskId)).toEqual([mine.taskId]);
    await expectCode(tasks.getTask({ taskId: theirs.taskId }, as(key.secret)), Code.NotFound, theirs.taskId);
    await expectCode(tasks.cancelTask({ taskId: theirs.taskId, reason: "" }, as(key.secret)), Code.NotFound, theirs.taskId);
    expect((await tasks.getTask({ taskId: theirs.taskId }, admin)).task?.state).toBe(TaskState.QUEUED);

    const all = await tasks.listTasks({ states: [TaskState.QUEUED] }, admin);
    expect(all.tasks.map((task) => task.taskId)).toEqual(expect.arrayContaining([mine.taskId, theirs.taskId]));
    // Newest first, a page at a time.
    const first = await tasks.listTasks({ pageSize: 1 }, admin);
    expect(first.tasks.map((task) => task.taskId)).toEqual([theirs.taskId]);
    const second = await tasks.listTasks({ pageSize: 1, pageToken: first.nextPageToken }, admin);
    expect(second.tasks.map((task) => task.taskId)).toEqual([mine.taskId]);
  });

  it("palyra tasks submit, list, show and cancel --json", async () => {
    const cwd = gateway.stateDir;
    const env = cleanEnv({ PALYRA_ADMIN_TOKEN: testToken });
    const cli = async (args: string[]) => {
      const result = await runPalyra(["tasks", ...args, "--json", "--addr", gateway.grpcAddress], { cwd, env });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout) as { task?: Record<string, unknown>; tasks?: Record<string, unknown>[] };
    };
    const submitted = await cli([
      "submit",
      "--prompt",
      "from the cli",
      "--model",
      "palyra-echo",
      "--not-before",
      "2h",
      "--expires-in",
      "3h",
      "--max-attempts",
      "2",
    ]);
    const taskId = String(submitted.task?.taskId);
    expect(submitted.task).toMatchObject({ prompt: "from the cli", state: "TASK_STATE_QUEUED", maxAttempts: 2 });
    expect((await cli(["list", "--state", "queued"])).tasks?.map((task) => task.taskId)).toContain(taskId);
    expect((await cli(["show", taskId])).task).toMatchObject({ taskId, state: "TASK_STATE_QUEUED" });
    expect((await cli(["cancel", taskId])).task).toMatchObject({ taskId, state: "TASK_STATE_CANCELLED" });
  });
});

describe("tasks across a restart", () => {
  it("keeps queued tasks, which run on the next start; running ones are closed as interrupted", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "palyra-tasks-restart-"));
    const configPath = join(stateDir, "palyra.toml");
    writeFileSync(configPath, config);
    const start = () =>
      startGateway({
        stateDir,
        configPath,
        grpcBind: "127.0.0.1:0",
        httpBind: "127.0.0.1:0",
        env: { PALYRA_ADMIN_TOKEN: testToken },
        logger: pino({ level: "warn" }, new Writable({ write: (_chunk, _encoding, done) => done() })),
      });
    const client = (daemon: RunningGateway) => createClient(TasksService, createGrpcTransport({ baseUrl: `http://${daemon.grpcAddress}` }));

    const first = await start();
    let second: RunningGateway | undefined;
    try {
      const before = client(first);
      // Every slot busy: the next task stays queued until the daemon stops.
      const blockers = await Promise.all([1, 2, 3, 4].map((n) => submit(before, { prompt: `blocker ${n}`, model: "glacial-echo" })));
      for (const blocker of blockers) await waitForState(before, blocker.taskId, TaskState.RUNNING);
      const waiting = await submit(before, { prompt: "survives a restart" });
      await first.stop();

      second = await start();
      const after = client(second);
      expect(await waitForState(after, waiting.taskId, TaskState.SUCCEEDED)).toMatchObject({ resultText: "survives a restart", attempts: 1 });
      for (const blocker of blockers) {
        expect((await after.getTask({ taskId: blocker.taskId }, admin)).task).toMatchObject({ state: TaskState.FAILED, errorKind: "interrupted" });
      }
    } finally {
      await first.stop();
      await second?.stop();
    }
  });
});
