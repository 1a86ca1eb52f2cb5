import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, describe, expect, it } from "vitest";
import { ModelsService } from "../../gen/es/palyra/gateway/v1/models_pb.js";
import { cleanEnv, type PalyraProcess, startDaemon } from "./support/palyra-process.js";

const token = "sighup-admin-token";
const stateDir = mkdtempSync(join(tmpdir(), "palyra-sighup-"));
const configFile = join(stateDir, "palyra.toml");
const config = (extraModel: string) => `version = 1
[model_provider]
health_ttl_ms = 3600000
[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"
[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"
${extraModel}`;
let daemon: PalyraProcess | undefined;

afterAll(async () => {
  if (daemon?.running) daemon.child.kill("SIGTERM");
  await daemon?.exited;
});

describe("SIGHUP", () => {
  it("reloads the daemon's palyra.toml, and a bad file is logged naming the key while the config in force stays", async () => {
    writeFileSync(configFile, config(""));
    const started = await startDaemon(["--config", configFile, "--state-dir", stateDir, "--grpc-bind", "127.0.0.1:0", "--http-bind", "127.0.0.1:0"], {
      cwd: stateDir,
      env: cleanEnv({ PALYRA_ADMIN_TOKEN: token }),
    });
    daemon = started.daemon;
    const models = createClient(ModelsService, createGrpcTransport({ baseUrl: `http://${started.ready.grpc}` }));
    const modelIds = async () => (await models.listModels({}, { headers: { authorization: `Bearer ${token}` } })).models.map((model) => model.modelId);

    writeFileSync(configFile, config(`[[model_provider.models]]\nmodel_id = "hup-echo"\nprovider_id = "local"\n`));
    daemon.child.kill("SIGHUP");
    await daemon.stdout.waitFor((line) => line.includes('"msg":"reloaded the config"'), "the reload's log line");
    expect(await modelIds()).toEqual(["palyra-echo", "hup-echo"]);

    writeFileSync(configFile, config(`[[model_provider.models]]\nmodel_id = "bad"\nprovider_id = "nowhere"\n`));
    daemon.child.kill("SIGHUP");
    const refused = await daemon.stdout.waitFor((line) => line.includes('"msg":"config reload refused"'), "the refusal's log line");
    expect(JSON.parse(refused).reason).toContain(`${configFile}: model_provider.models[1].provider_id: no provider with provider_id "nowhere"`);
    expect(await modelIds()).toEqual(["palyra-echo", "hup-echo"]);
  });
});
