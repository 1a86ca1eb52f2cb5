import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CronService } from "../../gen/es/palyra/gateway/v1/cron_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The console in a real browser: Debian's chromium driven by playwright-core (.ci/run installs the
// package). One browser and one page for the file; every step waits for what the page shows, never a time.

const chromiumPath = process.env.PALYRA_CHROMIUM ?? "/usr/bin/chromium";
const haveChromium = existsSync(chromiumPath);
// In CI a missing browser is a failure (the launch below throws), never a silent skip.
const skip = !haveChromium && !process.env.CI;
if (skip) console.warn(`console browser tests SKIPPED: no chromium at ${chromiumPath} (apt-get install chromium, or set PALYRA_CHROMIUM)`);

const artifacts = join(import.meta.dirname, "..", "artifacts");
const config = `
version = 1

[[usage.budgets]]
policy_id = "needs-ok"
scope_kind = "agent"
scope_id = "approval-agent"
metric_kind = "tokens"
interval_kind = "daily"
hard_limit_value = 5
action = "require_approval"
`;

let gateway: TestGateway;
let browser: Browser;
let page: Page;

const openai = (apiKey = testToken, headers: Record<string, string> = {}) =>
  new OpenAI({ apiKey, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0, defaultHeaders: headers });

async function show(name: string): Promise<void> {
  await page.goto(`${gateway.httpBase}/console/#/${name}`);
  await page.locator(`main[data-page="${name}"]`).waitFor();
}

async function screenshot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `console-${name}.png`), fullPage: true });
}

describe.skipIf(skip)("the web console in chromium", () => {
  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    gateway = await startTestGateway({ configToml: config });
    browser = await chromium.launch({ executablePath: chromiumPath, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterAll(async () => {
    await browser?.close();
    await gateway?.stop();
  });

  it("signs in with the admin token and shows the overview", async () => {
    await page.goto(`${gateway.httpBase}/console`);
    await page.fill("input[name=token]", "not-the-token");
    await page.click("button[type=submit]");
    await page.locator("[role=alert]", { hasText: "Incorrect API key" }).waitFor();
    await page.fill("input[name=token]", testToken);
    await page.click("button[type=submit]");
    await page.locator('[data-test="runs-today"]', { hasText: /^0$/ }).waitFor();
    await page.locator(".chart .uplot").first().waitFor();
    await screenshot("overview");
  });

  it("shows a run on the overview after a request through /v1", async () => {
    const answer = await openai().chat.completions.create({ model: "palyra-echo", messages: [{ role: "user", content: "hello console" }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
    await show("overview");
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.locator('[data-test="runs-today"]', { hasText: /^1$/ }).waitFor();
  });

  it("approves a request a require_approval budget held, which then passes once", async () => {
    const request = { model: "palyra-echo", messages: [{ role: "user" as const, content: "may I spend a little" }] };
    const held = await openai(testToken, { "x-palyra-agent-id": "approval-agent" })
      .chat.completions.create(request)
      .then(
        () => undefined,
        (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
      );
    expect(held?.status).toBe(409);
    const approvalId = held?.headers?.get("x-palyra-approval-id") ?? "";
    expect(approvalId).not.toBe("");

    await show("usage");
    const row = page.locator(`tr[data-approval="${approvalId}"]`);
    await row.getByRole("button", { name: "Approve" }).click();
    await row.locator(".badge", { hasText: "approved" }).waitFor();
    await screenshot("usage");

    const passed = await openai(testToken, { "x-palyra-agent-id": "approval-agent", "x-palyra-approval-id": approvalId }).chat.completions.create(request);
    expect(passed.choices[0]?.message.content).toBeTruthy();
  });

  it("creates a key whose secret works, and revokes it", async () => {
    await show("keys");
    await page.fill("input[name=name]", "console-key");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = (await page.locator('[data-test="new-secret"]').textContent()) ?? "";
    expect(secret).not.toBe("");
    expect((await openai(secret).models.list()).data.length).toBeGreaterThan(0);

    await page.locator('tr[data-key="console-key"]').getByRole("button", { name: "Revoke" }).click();
    await page.locator('tr[data-key="console-key"] .badge', { hasText: "revoked" }).waitFor();
    await screenshot("keys");
    await expect(openai(secret).models.list()).rejects.toMatchObject({ status: 401 });
  });

  it("tests a provider's connection from the providers page", async () => {
    await show("providers");
    await page.getByRole("button", { name: "Test connection" }).first().click();
    await page.locator('[data-test="connection-result"]', { hasText: /ok|not applicable/ }).waitFor();
    await screenshot("providers");
  });

  it("runs a job now, shows its history, and disables it", async () => {
    const cron = createClient(CronService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const admin = { headers: { authorization: `Bearer ${testToken}` } };
    const job = {
      jobId: "console-job",
      name: "console job",
      run: { input: { case: "prompt" as const, value: "tick" }, model: "palyra-echo" },
      schedule: { kind: { case: "cron" as const, value: { expression: "0 3 * * *", timezone: "" } } },
    };
    await cron.createJob({ job }, admin);
    await show("automation");
    const row = page.locator('tr[data-job="console-job"]');
    await row.getByRole("button", { name: "Run now" }).click();
    await page.locator("[role=status]", { hasText: "console-job started" }).waitFor();
    await row.getByRole("button", { name: "History" }).click();
    await page.locator("h3", { hasText: "History of console-job" }).waitFor();
    await page.locator("h3 + table tbody tr").first().waitFor();
    await row.getByRole("button", { name: "Disable" }).click();
    await row.getByRole("button", { name: "Enable" }).waitFor();
    expect((await cron.getJob({ jobId: "console-job" }, admin)).job?.enabled).toBe(false);
    await screenshot("automation");
  });

  it("shows every other page", async () => {
    for (const name of ["incidents", "auth"]) {
      await show(name);
      await page.locator(`main[data-page="${name}"] table`).first().waitFor();
      await screenshot(name);
    }
  });

  it("signs out, after which the session no longer answers", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("input[name=token]").waitFor();
    const answer = await page.evaluate(async () => (await fetch("/console/v1/session")).status);
    expect(answer).toBe(401);
  });
});
