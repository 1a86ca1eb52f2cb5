import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/shared/logger.js";

describe("createLogger", () => {
  it("replaces credential fields wherever they are logged", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = createLogger("info", sink);
    logger.info(
      {
        headers: { authorization: "Bearer sk-live-1", "x-api-key": "sk-ant-2" },
        provider: { api_key: "sk-3", apiKey: "sk-4" },
        oauth: { access_token: "at-5", refresh_token: "rt-6", client_secret: "cs-7", code_verifier: "cv-8" },
        secret: "s-9",
      },
      "request",
    );
    const line = lines.join("");
    for (const value of ["sk-live-1", "sk-ant-2", "sk-3", "sk-4", "at-5", "rt-6", "cs-7", "cv-8", "s-9"]) expect(line).not.toContain(value);
    expect(line.match(/<redacted>/g)?.length).toBe(9);
  });
});
