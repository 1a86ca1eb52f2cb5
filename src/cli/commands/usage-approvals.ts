import type { Command } from "commander";
import { type Approval, approvalStateToJSON, type DecideApprovalResponse, type ListApprovalsResponse } from "../../../gen/grpc-js/palyra/gateway/v1/usage.js";
import { addClientFlags, type ClientFlags, withDaemon } from "../client-flags.js";
import { callUnary } from "../grpc-clients.js";
import { enumLabel, formatTable, formatTime, printJson, printLine } from "../output.js";

interface ApprovalListFlags extends ClientFlags {
  pending?: boolean;
}

interface DecideFlags extends ClientFlags {
  reason?: string;
}

/** palyra usage approvals list | approve | deny: requests require_approval budgets held. */
export function registerUsageApprovalCommands(usage: Command): void {
  const approvals = usage.command("approvals").description("requests held by require_approval budgets: list, approve or deny them");

  addClientFlags(approvals.command("list").description("list approvals, newest first"))
    .option("--pending", "only those waiting for a decision")
    .action(async (flags: ApprovalListFlags) => {
      const request = { pendingOnly: flags.pending ?? false };
      const response = await withDaemon(flags, (clients) => {
        const client = clients.usage();
        return callUnary<ListApprovalsResponse>((done) => client.listApprovals(request, clients.metadata(), clients.unaryOptions(), done));
      });
      if (flags.json) return printJson({ approvals: response.approvals.map(approvalJson) });
      if (response.approvals.length === 0) return printLine(flags.pending ? "no pending approvals" : "no approvals");
      const headers = ["id", "policy", "state", "caller", "agent", "model", "projected", "created", "decided", "reason"];
      printLine(formatTable(headers, response.approvals.map(approvalRow)));
    });

  for (const [verb, approve] of [
    ["approve", true],
    ["deny", false],
  ] as const) {
    addClientFlags(approvals.command(verb).description(approve ? "let the held request through, once" : "refuse the held request"))
      .argument("<approval-id>", "the id from the approval_required error or approvals list")
      .option("--reason <text>", "why, kept with the approval")
      .action(async (approvalId: string, flags: DecideFlags) => {
        const request = { approvalId, approve, reason: flags.reason ?? "" };
        const response = await withDaemon(flags, (clients) => {
          const client = clients.usage();
          return callUnary<DecideApprovalResponse>((done) => client.decideApproval(request, clients.metadata(), clients.unaryOptions(), done));
        });
        if (flags.json) return printJson({ approval: response.approval && approvalJson(response.approval) });
        printLine(
          `${approve ? "approved" : "denied"} ${approvalId}${approve ? ": present it as x-palyra-approval-id (or StartRun.approval_id) with the same request" : ""}`,
        );
      });
  }
}

const stateLabel = (approval: Approval) => enumLabel(approvalStateToJSON(approval.state), "APPROVAL_STATE_");

function approvalJson(approval: Approval): Record<string, unknown> {
  return { ...approval, state: stateLabel(approval), createdAt: approval.createdAt?.toISOString(), decidedAt: approval.decidedAt?.toISOString() };
}

function approvalRow(approval: Approval): string[] {
  return [
    approval.approvalId,
    approval.policyId,
    stateLabel(approval),
    approval.callerId,
    approval.agentId || "-",
    approval.modelId,
    String(Number(approval.projectedValue.toPrecision(6))),
    formatTime(approval.createdAt),
    formatTime(approval.decidedAt),
    approval.reason || "-",
  ];
}
