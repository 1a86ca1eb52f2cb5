import { describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/shared/redact-secrets.js";

const key = "gsk_live_4f9a1c7e2b8d0f3a6c5e9b1d"; // shaped like no provider pattern the sanitiser knows

describe("redactSecrets", () => {
  it("finds the secret as it is, URL-encoded and in hex", () => {
    for (const form of [key, encodeURIComponent(`${key}/+`), Buffer.from(key).toString("hex")]) {
      const said = redactSecrets(`upstream said: ${form} was refused`, [`${key}/+`, key]);
      expect(said).not.toContain(form.slice(4, -4));
      expect(said).toContain("<redacted>");
    }
  });

  it("finds it base64-encoded alone, and inside a longer encoded value at any byte offset", () => {
    expect(redactSecrets(`key=${Buffer.from(key).toString("base64")}`, [key])).toBe("key=<redacted>");
    for (const prefix of ["", "B", "Be", "Bearer "]) {
      for (const suffix of ["", "x", "xy", "xyz"]) {
        const blob = Buffer.from(`${prefix}${key}${suffix}`).toString("base64");
        for (const encoded of [blob, Buffer.from(`${prefix}${key}${suffix}`).toString("base64url")]) {
          const said = redactSecrets(`echo ${encoded}`, [key]);
          expect(said, `${prefix}|${suffix}`).toContain("<redacted>");
          // What is left around the mark encodes the neighbours, plus at most a group's worth of the key at each edge.
          const neighbours = Math.ceil(((prefix.length + suffix.length) * 4) / 3);
          expect(said.replace("echo ", "").replace("<redacted>", "").length, `${prefix}|${suffix}`).toBeLessThanOrEqual(neighbours + 8);
        }
      }
    }
  });

  it("leaves text without the secret, and short non-secrets, alone", () => {
    expect(redactSecrets("nothing to see", [key, undefined, "short"])).toBe("nothing to see");
  });
});
