import { describe, expect, it } from "vitest";
import { IncidentSeverity, IncidentState } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import type { Incident } from "../../src/automation/incidents.js";
import { incidentToProto, listIncidentsOptionsFromProto } from "../../src/rpc/convert/incidents-to-proto.js";
import { GatewayError } from "../../src/shared/errors.js";

describe("ListIncidents' conversions", () => {
  it("takes 0 as the default limit of 100, keeps 1 to 500, and refuses more, naming the field", () => {
    expect(listIncidentsOptionsFromProto({ includeResolved: false, limit: 0 })).toEqual({ includeResolved: false, limit: 100 });
    expect(listIncidentsOptionsFromProto({ includeResolved: true, limit: 1 })).toEqual({ includeResolved: true, limit: 1 });
    expect(listIncidentsOptionsFromProto({ includeResolved: false, limit: 500 }).limit).toBe(500);
    const refused = (() => {
      try {
        return listIncidentsOptionsFromProto({ includeResolved: false, limit: 501 });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(GatewayError);
    expect(refused).toMatchObject({ kind: "invalid_request", param: "limit" });
  });

  it("maps an incident's state, severity and times, leaving remediation empty and resolved_at unset when there are none", () => {
    const open: Incident = {
      incidentId: "i-1",
      kind: "run_stalled",
      severity: "warning",
      objectKind: "run",
      objectId: "r-1",
      summary: "run r-1 has made no progress for 121s",
      firstSeenAt: 1_000,
      lastSeenAt: 16_000,
      count: 2,
      state: "open",
      remediation: undefined,
      resolvedAt: undefined,
    };
    expect(incidentToProto(open)).toMatchObject({
      severity: IncidentSeverity.WARNING,
      state: IncidentState.OPEN,
      remediation: "",
      resolvedAt: undefined,
      count: 2,
      firstSeenAt: { seconds: 1n },
      lastSeenAt: { seconds: 16n },
    });
    const resolved = incidentToProto({ ...open, state: "resolved", remediation: "cancelled the run", resolvedAt: 20_500 });
    expect(resolved).toMatchObject({ state: IncidentState.RESOLVED, remediation: "cancelled the run", resolvedAt: { seconds: 20n, nanos: 500_000_000 } });
  });
});
