import type { ServiceImpl } from "@connectrpc/connect";
import { type CronService, JobRunStatus } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import type { CronJobs } from "../automation/cron-jobs.js";
import { requireCaller } from "./caller-context.js";
import { jobFromProto, jobRunToProto, jobToProto } from "./convert/cron-to-proto.js";

/** CronService: scheduled jobs and their runs. Thin: CronJobs checks owners and definitions. */
export function createCronService(jobs: CronJobs): ServiceImpl<typeof CronService> {
  return {
    async createJob(request, context) {
      return { job: jobToProto(await jobs.create(requireCaller(context), jobFromProto(request.job))) };
    },
    async updateJob(request, context) {
      return { job: jobToProto(await jobs.update(requireCaller(context), jobFromProto(request.job))) };
    },
    async deleteJob(request, context) {
      return { deleted: await jobs.remove(requireCaller(context), request.jobId) };
    },
    async getJob(request, context) {
      return { job: jobToProto(await jobs.visible(requireCaller(context), request.jobId)) };
    },
    async listJobs(request, context) {
      const page = await jobs.list(requireCaller(context), request.pageSize, request.pageToken, request.includeSystem);
      return { jobs: page.items.map(jobToProto), nextPageToken: page.nextPageToken };
    },
    async runJobNow(request, context) {
      const result = await jobs.runNow(requireCaller(context), request.jobId);
      if ("jobRun" in result) return { jobRun: jobRunToProto(result.jobRun) };
      // queue_one: the tick waits for the active run and is recorded when it starts.
      return {
        jobRun: {
          jobId: request.jobId,
          status: JobRunStatus.UNSPECIFIED,
          reason: "queued",
          message: "waiting for the job's active run (concurrency queue_one)",
        },
      };
    },
    async listJobRuns(request, context) {
      const page = await jobs.listRuns(requireCaller(context), request.jobId, request.pageSize, request.pageToken);
      return { jobRuns: page.items.map(jobRunToProto), nextPageToken: page.nextPageToken };
    },
    async getJobRun(request, context) {
      return { jobRun: jobRunToProto(await jobs.getRun(requireCaller(context), request.jobRunId)) };
    },
  };
}
