import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { credentials, Metadata } from "@grpc/grpc-js";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DiagnosticsService, IncidentState } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { GatewayService } from "../../gen/es/palyra/gateway/v1/gateway_pb.js";
import { UsageService } from "../../gen/es/palyra/gateway/v1/usage_pb.js";
import { GatewayServiceClient, type RunStreamResponse } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startOf } from "../helpers/grpc-js-requests.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// The watchdog against a real daemon: an upstream that sends its stream's head and then nothing more.
// Stall and check times are small so the tests are quick, but nothing asserts how long anything took:
// each test waits for the outcome it expects (a run's end, an incident's state) however slow the machine.

const upstreamKey = "sk-test-hanging-upstream";

function configFor(upstream: FakeOpenAI, mode: "auto" | "observe_only"): string {
  return `
version = 1
[model_provider]
# No background health checks or discovery: every request the fake sees is a test's run.
health_ttl_ms = 3600000
default_chat_model_id = "gpt-hang"

[[model_provider.providers]]
provider_id = "hanging"
kind = "openai_compatible"
base_url = "${upstream.baseUrl}"
allow_private_base_url = true
api_key_secret_ref = { kind = "env", variable = "HANGING_UPSTREAM_KEY" }
# The daemon's own timeout must not end the run first: only the watchdog may.
request_timeout_ms = 3600000
max_retries = 0

[[model_provider.models]]
model_id = "gpt-hang"
provider_id = "hanging"

[[usage.budgets]]
policy_id = "daily-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 10000000

[automation.self_healing]
mode = "${mode}"
stall_after_ms = 1000
check_interval_ms = 200
`;
}

const bearer = { headers: { authorization: `Bearer ${testToken}` } };

async function startHangingSetup(mode: "auto" | "observe_only") {
  const upstream = await startFakeOpenAI();
  const gateway = await startTestGateway({ configToml: configFor(upstream, mode), env: { HANGING_UPSTREAM_KEY: upstreamKey } });
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  const grpcJs = new GatewayServiceClient(gateway.grpcAddress, credentials.createInsecure());
  return {
    upstream,
    gateway,
    grpcJs,
    diagnostics: createClient(DiagnosticsService, transport),
    runs: createClient(GatewayService, transport),
    usage: createClient(UsageService, transport),
  };
}

type Setup = Awaited<ReturnType<typeof startHangingSetup>>;

async function stopSetup(setup: Setup | undefined): Promise<void> {
  setup?.grpcJs.close();
  await setup?.gateway.stop();
  await setup?.upstream.close();
}

/**
 * Starts a run on an upstream that sends the stream's headers and its first chunk, then hangs (for far
 * longer than any test runs); resolves with the run's id once accepted, and `ended` with every event.
 */
async function startHangingRun(setup: Setup, text: string) {
  // The fake writes each chunk, then waits this long before the next.
  setup.upstream.enqueue({ kind: "slow_stream", chunkDelayMs: 3_600_000 });
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${testToken}`);
  const call = setup.grpcJs.runStream(metadata);
  const events: RunStreamResponse[] = [];
  let accepted!: (runId: string) => void;
  const runId = new Promise<string>((resolve) => (accepted = resolve));
  const ended = new Promise<RunStreamResponse[]>((resolve, reject) => {
    call.on("data", (event: RunStreamResponse) => {
      events.push(event);
      if (event.accepted) accepted(event.runId);
    });
    call.on("error", reject);
    call.on("end", () => resolve(events));
  });
  call.write(startOf(text, { model: "gpt-hang" }));
  return { runId: await runId, ended, call };
}

function ledgerRow(gateway: TestGateway, runId: string) {
  const db = new Database(gateway.databaseFile, { readonly: true });
  try {
    return db.prepare("SELECT status, error_kind, error_message FROM runs WHERE run_id = ?").get(runId) as
      | { status: string; error_kind: string | null; error_message: string | null }
      | undefined;
  } finally {
    db.close();
  }
}

async function incidentsOf(setup: Setup, runId: string, includeResolved = true) {
  const { incidents } = await setup.diagnostics.listIncidents({ includeResolved }, bearer);
  return incidents.filter((incident) => incident.objectKind === "run" && incident.objectId === runId);
}

async function reserved(setup: Setup): Promise<number | undefined> {
  const { policies } = await setup.usage.listBudgetPolicies({}, bearer);
  return policies.find((policy) => policy.policyId === "daily-tokens")?.standing?.reserved;
}

/** Waits for a condition the daemon reaches on its own (the watchdog's next check); never for a set time. */
const eventually = <T>(check: () => Promise<T>) => vi.waitFor(check, { timeout: 60_000, interval: 50 });

describe("self-healing in auto mode", () => {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await startHangingSetup("auto");
  });
  afterAll(() => stopSetup(setup));

  it("cancels a stalled run as stalled, aborts its upstream request, releases its reservation, and keeps one resolved incident", async () => {
    const live = setup as Setup;
    const { runId, ended } = await startHangingRun(live, "an answer that never comes");
    const events = await ended;
    // The run's caller is told it was cancelled, and why.
    expect(events.at(-1)?.cancelled?.reason).toMatch(/^stalled: no progress for \d+s$/);
    expect(ledgerRow(live.gateway, runId)).toMatchObject({ status: "cancelled", error_kind: "cancelled", error_message: expect.stringMatching(/^stalled/) });
    // The upstream saw its request go away before the answer was complete.
    expect(await live.upstream.closed(0)).toEqual({ completed: false });
    // Settlement released the run's worst case.
    expect(await reserved(live)).toBe(0);

    const [incident, ...others] = await eventually(async () => {
      const found = await incidentsOf(live, runId);
      expect(found[0]?.state).toBe(IncidentState.RESOLVED);
      return found;
    });
    expect(others).toEqual([]);
    expect(incident).toMatchObject({ kind: "run_stalled", remediation: "cancelled the run", objectKind: "run", objectId: runId });
    expect(incident?.summary).toContain(`run ${runId} (model gpt-hang on provider hanging) has made no progress for`);
    expect(incident?.count).toBeGreaterThanOrEqual(1);
    expect(incident?.resolvedAt).toBeDefined();
    // Resolved incidents are listed only when asked for.
    expect(await incidentsOf(live, runId, false)).toEqual([]);

    const listed = await runPalyra(["incidents", "list", "--all", "--json", "--state-dir", live.gateway.stateDir], {
      cwd: live.gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(listed.stderr).toBe("");
    expect(listed.code).toBe(0);
    const printed = JSON.parse(listed.stdout) as { incidents: { objectId: string; state: string; remediation: string }[] };
    expect(printed.incidents.filter((each) => each.objectId === runId)).toMatchObject([{ state: "INCIDENT_STATE_RESOLVED", remediation: "cancelled the run" }]);
  });

  it("refuses a ListIncidents limit past 500, naming the field", async () => {
    const refused = await (setup as Setup).diagnostics.listIncidents({ limit: 501 }, bearer).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.InvalidArgument);
    expect((refused as ConnectError).rawMessage).toMatch(/^limit: /);
  });
});

describe("self-healing in observe_only mode", () => {
  let setup: Setup | undefined;
  beforeAll(async () => {
    setup = await startHangingSetup("observe_only");
  });
  afterAll(() => stopSetup(setup));

  it("reports a stalled run without touching it; the incident resolves once the run ends otherwise", async () => {
    const live = setup as Setup;
    const { runId, ended } = await startHangingRun(live, "an answer that never comes either");
    const [incident] = await eventually(async () => {
      const found = await incidentsOf(live, runId, false);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(incident).toMatchObject({ kind: "run_stalled", state: IncidentState.OPEN, remediation: "" });
    // Still running, still holding its reservation.
    expect(ledgerRow(live.gateway, runId)?.status).toBe("running");
    expect(await reserved(live)).toBeGreaterThan(0);

    const listed = await runPalyra(["incidents", "list", "--state-dir", live.gateway.stateDir], {
      cwd: live.gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(listed.code).toBe(0);
    const row = listed.stdout.split("\n").find((line) => line.includes(runId));
    expect(row).toMatch(/run_stalled\s+warning\s+run\/\S+\s+open\s+\d+/);

    // The operator ends it: cancelled with the operator's reason, and the incident resolves.
    expect(await live.runs.abortRun({ runId, reason: "operator saw the incident" }, bearer)).toMatchObject({ aborted: true });
    expect((await ended).at(-1)?.cancelled?.reason).toBe("operator saw the incident");
    expect(await reserved(live)).toBe(0);
    const [resolved] = await eventually(async () => {
      const found = await incidentsOf(live, runId);
      expect(found[0]?.state).toBe(IncidentState.RESOLVED);
      return found;
    });
    expect(resolved).toMatchObject({ incidentId: incident?.incidentId, remediation: "" });
  });
});
