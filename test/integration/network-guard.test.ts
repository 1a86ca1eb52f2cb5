import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { type FakeOpenAI, startFakeOpenAI } from "../fixtures/fake-openai-upstream.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";

// The real daemon with providers pointed at loopback in its many spellings. Without the opt-in each
// is refused at connect time, before a socket opens, so the fake (on 127.0.0.1 only) sees nothing;
// with allow_private_base_url = true the same fake answers. Only loopback is ever addressed (DESIGN.md §7).

let fake: FakeOpenAI;
let gateway: TestGateway;
let client: OpenAI;

/** model_id -> base_url, for the providers without the opt-in. */
const blocked = (port: number) => ({
  "ipv4-loopback": `http://127.0.0.1:${port}/v1`,
  "ipv4-loopback-other": `http://127.0.0.2:${port}/v1`,
  localhost: `http://localhost:${port}/v1`,
  "ipv6-loopback": `http://[::1]:${port}/v1`,
  "ipv4-mapped-loopback": `http://[::ffff:127.0.0.1]:${port}/v1`,
});

const providerAndModel = (id: string, baseUrl: string, optIn: boolean) => `
[[model_provider.providers]]
provider_id = "${id}"
kind = "openai_compatible"
base_url = "${baseUrl}"
${optIn ? "allow_private_base_url = true" : ""}
max_retries = 0

[[model_provider.models]]
model_id = "${id}"
provider_id = "${id}"
upstream_model = "gpt-4o-mini"
`;

beforeAll(async () => {
  fake = await startFakeOpenAI();
  const port = Number(new URL(fake.baseUrl).port);
  const entries = Object.entries(blocked(port)).map(([id, baseUrl]) => providerAndModel(id, baseUrl, false));
  gateway = await startTestGateway({
    configToml: `
version = 1
[model_provider]
# No background health checks (the first would come a minute after start): they would take faults
# queued for the tests' own requests, and add to what the fake upstreams recorded.
health_ttl_ms = 3600000
default_chat_model_id = "allowed"
# A blocked provider must fail its request, not hand it to another one.
failover_enabled = false
${entries.join("")}
${providerAndModel("allowed", fake.baseUrl, true)}
`,
  });
  client = new OpenAI({ apiKey: testToken, baseURL: `${gateway.httpBase}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.stop();
  await fake?.close();
});

const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: "user", content: "hello" }] });

describe("the upstream address guard", () => {
  it.each([
    ["ipv4-loopback", /upstream host "127\.0\.0\.1" resolves to 127\.0\.0\.1 \(loopback\)/],
    ["ipv4-loopback-other", /upstream host "127\.0\.0\.2" resolves to 127\.0\.0\.2 \(loopback\)/],
    ["localhost", /upstream host "localhost" resolves to (127\.0\.0\.1|::1) \(loopback\)/],
    ["ipv6-loopback", /upstream host "::1" resolves to ::1 \(loopback\)/],
    // The URL parser writes [::ffff:127.0.0.1] as [::ffff:7f00:1]; it is still loopback.
    ["ipv4-mapped-loopback", /upstream host "::ffff:7f00:1" resolves to ::ffff:7f00:1 \(loopback\)/],
  ])("refuses %s without the opt-in, naming allow_private_base_url", async (model, resolvesTo) => {
    const error = await ask(model).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(502);
    expect(apiError.code).toBe("address_blocked");
    expect(apiError.message).toContain(`provider "${model}"`);
    expect(apiError.message).toMatch(resolvesTo);
    expect(apiError.message).toContain("set allow_private_base_url = true on the provider to allow it");
    expect(fake.requests).toEqual([]);
  });

  it("lets a provider that opts in reach the same loopback upstream", async () => {
    const completion = await ask("allowed");
    expect(completion.choices[0]?.message.content).toBe("echo: hello");
    expect(fake.requests.map((request) => request.path)).toEqual(["/v1/chat/completions"]);
  });
});

describe("base_url checks at start-up", () => {
  const config = (baseUrl: string) => `
version = 1
${providerAndModel("first", "http://127.0.0.1:9/v1", true)}
${providerAndModel("second", baseUrl, false)}
`;

  async function startupError(baseUrl: string): Promise<ConfigError> {
    const error = await startTestGateway({ configToml: config(baseUrl) }).then(
      async (started) => {
        await started.stop();
        return undefined;
      },
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }

  it("refuses a scheme other than http and https, naming the key", async () => {
    const error = await startupError("ftp://files.example.test/v1");
    expect(error.key).toBe("model_provider.providers[1].base_url");
    expect(error.message).toMatch(/model_provider\.providers\[1\]\.base_url: must be an http\(s\) URL/);
  });

  it("refuses a user name and password in the URL, naming the key but not the password", async () => {
    const error = await startupError("https://someone:s3cret-pa55@upstream.example.test/v1");
    expect(error.key).toBe("model_provider.providers[1].base_url");
    expect(error.message).toContain("model_provider.providers[1].base_url: must not contain a user name or password");
    expect(error.message).not.toContain("s3cret-pa55");
  });
});
