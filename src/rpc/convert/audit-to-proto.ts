import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { AuditFinding as ProtoAuditFinding, RunAuditResponseSchema } from "../../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import type { AuditFinding, AuditReport } from "../../automation/audit/integrity-audit.js";

type Plain<T> = Omit<T, "$typeName">;

/** The audit's report as RunAudit's answer; a finding's object is "<kind>/<id>" ("secret/NAME", "run_record/ID"). */
export function auditReportToProto(report: AuditReport): MessageInitShape<typeof RunAuditResponseSchema> {
  return { findings: report.findings.map(auditFindingToProto), checked: report.checked, ranAt: timestampFromMs(report.ranAt) };
}

function auditFindingToProto(finding: AuditFinding): Plain<ProtoAuditFinding> {
  return {
    check: finding.check,
    object: `${finding.objectKind}/${finding.objectId}`,
    message: finding.remediation === undefined ? finding.message : `${finding.message}; ${finding.remediation}`,
    repaired: finding.remediation !== undefined,
  };
}
