import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import type { SubmitTaskRequest, TasksService } from "../../gen/es/palyra/gateway/v1/tasks_pb.js";
import type { TaskState } from "../automation/task.js";
import type { TaskQueue } from "../automation/task-queue.js";
import type { TaskSubmission } from "../automation/task-submission.js";
import { invalidRequest } from "../shared/errors.js";
import { requireCaller } from "./caller-context.js";
import { runSpecFromProto } from "./convert/run-spec-proto.js";
import { taskStateFromProto, taskToProto } from "./convert/task-to-proto.js";

/** TasksService: the background queue (scope chat.create; a key sees only its own tasks, the queue checks). */
export function createTasksService(queue: TaskQueue): ServiceImpl<typeof TasksService> {
  return {
    async submitTask(request, context) {
      const task = await queue.submit(submissionFromProto(request), requireCaller(context));
      return { task: taskToProto(task) };
    },

    async getTask(request, context) {
      return { task: taskToProto(await queue.get(request.taskId, requireCaller(context))) };
    },

    async listTasks(request, context) {
      const states = request.states.map((state, index): TaskState => {
        const known = taskStateFromProto(state);
        if (known === undefined) throw invalidRequest(`states[${index}]`, "is not a task state");
        return known;
      });
      const page = await queue.list({ pageSize: request.pageSize, pageToken: request.pageToken, states }, requireCaller(context));
      return { tasks: page.tasks.map(taskToProto), nextPageToken: page.nextPageToken };
    },

    async cancelTask(request, context) {
      return { task: taskToProto(await queue.cancel(request.taskId, request.reason, requireCaller(context))) };
    },
  };
}

function submissionFromProto(request: SubmitTaskRequest): TaskSubmission {
  const task = request.task;
  if (task === undefined) throw invalidRequest("task", "is required");
  return {
    taskId: task.taskId,
    spec: runSpecFromProto(task),
    agentId: task.agentId,
    notBefore: task.notBefore && timestampMs(task.notBefore),
    expiresAt: task.expiresAt && timestampMs(task.expiresAt),
    maxAttempts: task.maxAttempts,
    parentRunId: task.parentRunId,
  };
}
