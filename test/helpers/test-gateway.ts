import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { type Logger, pino } from "pino";
import { type RunningGateway, startGateway } from "../../src/main.js";

export const testToken = "test-admin-token";

export interface TestGateway extends RunningGateway {
  httpBase: string;
  grpcBase: string;
  /** Absolute path of the SQLite database file. */
  databaseFile: string;
}

/** Starts the real daemon in-process on loopback port 0 with a fresh state directory. */
export async function startTestGateway(
  options: { configToml?: string; env?: NodeJS.ProcessEnv; logger?: Logger; circuitClock?: () => number; consoleClock?: () => number } = {},
): Promise<TestGateway> {
  const stateDir = mkdtempSync(join(tmpdir(), "palyra-test-"));
  let configPath: string | undefined;
  if (options.configToml !== undefined) {
    configPath = join(stateDir, "test-config.toml");
    writeFileSync(configPath, options.configToml);
  }
  const gateway = await startGateway({
    stateDir,
    configPath,
    grpcBind: "127.0.0.1:0",
    httpBind: "127.0.0.1:0",
    env: { PALYRA_ADMIN_TOKEN: testToken, ...options.env },
    // Quiet, but not "silent": the ready line is always written, so it goes to a sink.
    logger: options.logger ?? pino({ level: "warn" }, new Writable({ write: (_chunk, _encoding, done) => done() })),
    ...(options.circuitClock !== undefined && { circuitClock: options.circuitClock }),
    ...(options.consoleClock !== undefined && { consoleClock: options.consoleClock }),
  });
  return {
    ...gateway,
    httpBase: `http://${gateway.httpAddress}`,
    grpcBase: `http://${gateway.grpcAddress}`,
    databaseFile: join(stateDir, "palyra.sqlite"),
  };
}

/** A config with the default echo model plus a slow one, for cancellation and shutdown tests. */
export const slowModelConfig = `
version = 1

[daemon]
shutdown_grace_ms = 200
max_request_body_bytes = 1048576

[model_provider]
default_chat_model_id = "palyra-echo"

[[model_provider.providers]]
provider_id = "local"
kind = "deterministic"

[[model_provider.providers]]
provider_id = "slow"
kind = "deterministic"
stream_chunk_delay_ms = 150

[[model_provider.models]]
model_id = "palyra-echo"
provider_id = "local"
tool_calls = true
json_mode = true
vision = true

[[model_provider.models]]
model_id = "slow-echo"
provider_id = "slow"

[[model_provider.models]]
model_id = "text-only"
provider_id = "local"

[[model_provider.models]]
model_id = "echo-embed"
provider_id = "local"
role = "embeddings"

[[model_provider.models]]
model_id = "echo-transcribe"
provider_id = "local"
role = "audio_transcription"

[[model_provider.models]]
model_id = "tiny-context"
provider_id = "local"
max_context_tokens = 40
`;
