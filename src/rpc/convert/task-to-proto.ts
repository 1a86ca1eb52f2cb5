import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type Task as ProtoTask, TaskState as ProtoTaskState, TaskSchema } from "../../../gen/es/palyra/gateway/v1/tasks_pb.js";
import type { Task, TaskState } from "../../automation/task.js";
import { runSpecToProto } from "./run-spec-proto.js";

const states: Record<TaskState, ProtoTaskState> = {
  queued: ProtoTaskState.QUEUED,
  running: ProtoTaskState.RUNNING,
  succeeded: ProtoTaskState.SUCCEEDED,
  failed: ProtoTaskState.FAILED,
  cancelled: ProtoTaskState.CANCELLED,
  expired: ProtoTaskState.EXPIRED,
};

/** The queue's states for a ListTasks filter; undefined for a value this build does not know (or unspecified). */
export function taskStateFromProto(state: ProtoTaskState): TaskState | undefined {
  return (Object.keys(states) as TaskState[]).find((name) => states[name] === state);
}

export function taskToProto(task: Task): ProtoTask {
  const { spec } = task;
  const time = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));
  return create(TaskSchema, {
    taskId: task.taskId,
    owner: task.owner,
    ...runSpecToProto(spec),
    agentId: task.agentId ?? "",
    notBefore: time(task.notBefore),
    expiresAt: time(task.expiresAt),
    maxAttempts: task.maxAttempts,
    parentRunId: task.parentRunId ?? "",
    state: states[task.state],
    attempts: task.attempts,
    createdAt: time(task.createdAt),
    startedAt: time(task.startedAt),
    finishedAt: time(task.finishedAt),
    runId: task.runId ?? "",
    resultText: task.resultText ?? "",
    inputTokens: BigInt(task.inputTokens),
    outputTokens: BigInt(task.outputTokens),
    costUsd: task.costUsd,
    costEstimated: task.costEstimated,
    errorKind: task.errorKind ?? "",
    errorMessage: task.errorMessage ?? "",
  });
}
