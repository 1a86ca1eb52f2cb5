import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createPkcePair, createState, hashState } from "../../src/identity/oauth/pkce.js";

describe("PKCE", () => {
  it("uses a 32-byte base64url verifier and an S256 challenge of it", async () => {
    const pair = await createPkcePair();
    expect(pair.method).toBe("S256");
    expect(pair.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(pair.verifier, "base64url")).toHaveLength(32);
    expect(pair.challenge).toBe(createHash("sha256").update(pair.verifier, "ascii").digest("base64url"));
    expect(pair.challenge).not.toBe(pair.verifier);
  });

  it("never repeats a verifier or a state", async () => {
    const verifiers = new Set(await Promise.all(Array.from({ length: 50 }, async () => (await createPkcePair()).verifier)));
    const states = new Set(Array.from({ length: 50 }, createState));
    expect(verifiers.size).toBe(50);
    expect(states.size).toBe(50);
  });

  it("keeps states as a SHA-256 that does not contain them", () => {
    const state = createState();
    expect(hashState(state)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashState(state)).toBe(hashState(state));
    expect(hashState(state)).not.toContain(state);
  });
});
