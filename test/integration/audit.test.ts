import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import Database from "better-sqlite3";
import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { DiagnosticsService, IncidentSeverity } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { VaultService } from "../../gen/es/palyra/gateway/v1/vault_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

// The integrity audit against the real daemon: a vault row and a budget counter are altered in the
// SQLite file behind the daemon's back, then RunAudit and `palyra doctor --json` must report both.

function configFor(mode: "auto" | "observe_only"): string {
  return `
version = 1
[model_provider]
health_ttl_ms = 3600000
default_chat_model_id = "palyra-echo"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"

[[usage.budgets]]
policy_id = "daily-tokens"
scope_kind = "global"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 10000000

[automation.self_healing]
mode = "${mode}"
`;
}

const bearer = { headers: { authorization: `Bearer ${testToken}` } };
const gateways: TestGateway[] = [];
afterEach(async () => {
  for (const gateway of gateways.splice(0)) await gateway.stop();
});

/** A daemon with one secret and one finished chat run charged to the daily-tokens counter. */
async function startAuditedGateway(mode: "auto" | "observe_only") {
  const gateway = await startTestGateway({ configToml: configFor(mode) });
  gateways.push(gateway);
  const transport = createGrpcTransport({ baseUrl: gateway.grpcBase });
  const diagnostics = createClient(DiagnosticsService, transport);
  await createClient(VaultService, transport).putSecret({ name: "upstream-key", value: "sk-never-printed-0001" }, bearer);
  const openai = new OpenAI({ baseURL: `${gateway.httpBase}/v1`, apiKey: testToken, maxRetries: 0 });
  await openai.chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: "count these tokens" }] });
  return { gateway, diagnostics };
}

/** The daily-tokens counter (there is one interval: the run's) and the ledger's tokens. */
function standing(file: string): { consumed: number; ledger: number } {
  const db = new Database(file, { readonly: true });
  try {
    const counter = db.prepare("select consumed from budget_counters where policy_id = 'daily-tokens'").get() as { consumed: number };
    const ledger = db.prepare("select sum(input_tokens + output_tokens) as tokens from runs where status != 'running'").get() as { tokens: number };
    return { consumed: counter.consumed, ledger: ledger.tokens };
  } finally {
    db.close();
  }
}

/** Alters the stored secret's ciphertext and adds 1000 tokens to the counter, as a bad write or a hand edit would. */
function tamper(file: string): void {
  const db = new Database(file);
  try {
    const row = db.prepare("select ciphertext from vault_secrets where name = 'upstream-key'").get() as { ciphertext: string };
    const bytes = Buffer.from(row.ciphertext, "base64");
    bytes[14] = (bytes[14] ?? 0) ^ 0xff;
    db.prepare("update vault_secrets set ciphertext = ? where name = 'upstream-key'").run(bytes.toString("base64"));
    db.prepare("update budget_counters set consumed = consumed + 1000 where policy_id = 'daily-tokens'").run();
  } finally {
    db.close();
  }
}

describe("integrity audit", () => {
  it("reports a tampered vault row and a drifted counter through RunAudit, palyra doctor and ListIncidents", async () => {
    const { gateway, diagnostics } = await startAuditedGateway("observe_only");
    expect((await diagnostics.runAudit({}, bearer)).findings).toEqual([]);
    const before = standing(gateway.databaseFile);
    expect(before.consumed).toBe(before.ledger);
    tamper(gateway.databaseFile);

    const audit = await diagnostics.runAudit({}, bearer);
    expect(audit.findings.map((finding) => [finding.check, finding.object, finding.repaired])).toEqual([
      ["vault_secret", "secret/upstream-key", false],
      ["budget_counter", expect.stringMatching(/^budget_counter\/daily-tokens@/), false],
    ]);
    expect(standing(gateway.databaseFile).consumed).toBe(before.ledger + 1000);

    const doctor = await runPalyra(["doctor", "--strict", "--json", "--state-dir", gateway.stateDir], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken, PALYRA_GRPC_BIND: "127.0.0.1:0", PALYRA_HTTP_BIND: "127.0.0.1:0" }),
    });
    expect(doctor.stderr).toBe("");
    // The unreadable secret is blocking: --strict fails.
    expect(doctor.code).toBe(1);
    const printed = JSON.parse(doctor.stdout) as { findings: { check: string; object: string }[] };
    expect(printed.findings.map((finding) => finding.check).filter((check) => check.startsWith("audit."))).toEqual([
      "audit.vault_secret",
      "audit.budget_counter",
    ]);
    expect(doctor.stdout).not.toContain("sk-never-printed");

    const { incidents } = await diagnostics.listIncidents({}, bearer);
    expect(incidents.map((incident) => [incident.kind, incident.objectKind, incident.severity]).sort()).toEqual([
      ["audit_budget_counter", "budget_counter", IncidentSeverity.WARNING],
      ["audit_vault_secret", "secret", IncidentSeverity.CRITICAL],
    ]);
  });

  it("repairs the drifted counter from the ledger in self-healing auto mode", async () => {
    const { gateway, diagnostics } = await startAuditedGateway("auto");
    tamper(gateway.databaseFile);

    const audit = await diagnostics.runAudit({}, bearer);
    expect(audit.findings.map((finding) => [finding.check, finding.repaired])).toEqual([
      ["vault_secret", false],
      ["budget_counter", true],
    ]);
    const after = standing(gateway.databaseFile);
    expect(after.consumed).toBe(after.ledger);
    expect((await diagnostics.runAudit({}, bearer)).findings.map((finding) => finding.check)).toEqual(["vault_secret"]);
    const { incidents } = await diagnostics.listIncidents({ includeResolved: true }, bearer);
    const counter = incidents.find((incident) => incident.kind === "audit_budget_counter");
    expect(counter?.remediation).toMatch(/set the counter's consumed to the ledger's \d+ tokens/);
  });
});
