import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ConnectionStatus,
  type ConnectionTestResultSchema,
  type DiscoveredModelsSchema,
  HealthState as ProtoHealthState,
  type ProviderHealthSchema,
} from "../../../gen/es/palyra/gateway/v1/models_pb.js";
import type { DiscoveryResult } from "../../registry/model-discovery.js";
import type { ConnectionOutcome, HealthRecord, HealthState, ProbeResult } from "../../registry/provider-health.js";

const healthStates: Record<HealthState, ProtoHealthState> = {
  unknown: ProtoHealthState.UNKNOWN,
  ok: ProtoHealthState.OK,
  degraded: ProtoHealthState.DEGRADED,
  down: ProtoHealthState.DOWN,
};

const connectionStatuses: Record<ConnectionOutcome, ConnectionStatus> = {
  ok: ConnectionStatus.OK,
  auth_failed: ConnectionStatus.AUTH_FAILED,
  rate_limited: ConnectionStatus.RATE_LIMITED,
  endpoint_failed: ConnectionStatus.ENDPOINT_FAILED,
  timeout: ConnectionStatus.TIMEOUT,
  blocked: ConnectionStatus.BLOCKED,
  not_applicable: ConnectionStatus.NOT_APPLICABLE,
};

export function healthStateToProto(state: HealthState): ProtoHealthState {
  return healthStates[state];
}

export function healthToProto(record: HealthRecord): MessageInitShape<typeof ProviderHealthSchema> {
  return {
    state: healthStates[record.state],
    detail: record.detail,
    ...(record.checkedAt !== undefined && { checkedAt: timestampFromDate(record.checkedAt) }),
  };
}

export function probeResultToProto(result: ProbeResult): MessageInitShape<typeof ConnectionTestResultSchema> {
  return {
    providerId: result.providerId,
    status: connectionStatuses[result.outcome],
    latencyMs: result.latencyMs,
    detail: result.detail,
    modelCount: result.models.length,
  };
}

export function discoveryResultToProto(result: DiscoveryResult): MessageInitShape<typeof DiscoveredModelsSchema> {
  return {
    providerId: result.providerId,
    status: connectionStatuses[result.outcome],
    detail: result.detail,
    upstreamModels: result.upstreamModels,
    addedModelIds: result.addedModelIds,
  };
}
