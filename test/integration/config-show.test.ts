import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DiagnosticsService } from "../../gen/es/palyra/gateway/v1/diagnostics_pb.js";
import { startTestGateway, type TestGateway, testToken } from "../helpers/test-gateway.js";
import { cleanEnv, runPalyra } from "./support/palyra-process.js";

const secret = "sk-live-CONFIG-SECRET-123456";
let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startTestGateway({
    env: { PALYRA__MODEL_PROVIDER__MAX_RETRIES: "4" },
    configToml: `
version = 1
[model_provider]
# No background health check (the first would come a minute after start): it would look up a name
# outside loopback for the provider below, which only exists to be redacted.
health_ttl_ms = 3600000

[[model_provider.providers]]
provider_id = "openai"
kind = "openai_compatible"
base_url = "https://api.openai.example/v1"
api_key = "${secret}"
[[model_provider.models]]
model_id = "gpt"
provider_id = "openai"
`,
  });
});

afterAll(async () => {
  await gateway?.stop();
});

describe("the effective config", () => {
  it("is served with secrets redacted and overrides listed, over gRPC and by palyra config show", async () => {
    const client = createClient(DiagnosticsService, createGrpcTransport({ baseUrl: gateway.grpcBase }));
    const response = await client.getEffectiveConfig({}, { headers: { authorization: `Bearer ${testToken}` } });
    const config = JSON.parse(response.configJson);
    expect(config.model_provider.providers[0].api_key).toBe("<redacted>");
    expect(config.model_provider.max_retries).toBe(4);
    expect(response.envOverrides).toEqual(["model_provider.max_retries"]);
    expect(response.configJson).not.toContain(secret);

    const cli = await runPalyra(["config", "show", "--json", "--addr", gateway.grpcAddress], {
      cwd: gateway.stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: testToken }),
    });
    expect(cli.code).toBe(0);
    expect(JSON.parse(cli.stdout).config.model_provider.providers[0]).toMatchObject({ api_key: "<redacted>", base_url: "https://api.openai.example/v1" });
    expect(cli.stdout).not.toContain(secret);
  });
});
