import { describe, expect, it } from "vitest";
import { providerStatusToProto } from "../../src/rpc/convert/models-to-proto.js";

describe("providerStatusToProto", () => {
  it("lists a provider's base_url without a key in its query or userinfo (GetModelsStatus, the console)", () => {
    const status = providerStatusToProto(
      { providerId: "p", kind: "openai_compatible", baseUrl: "http://user:hunter22@127.0.0.1:9/v1?api_key=sk-planted-123", enabled: true },
      1,
      { state: "unknown" } as never,
      { state: "closed", consecutiveFailures: 0 } as never,
    );
    expect(status.baseUrl).not.toContain("sk-planted-123");
    expect(status.baseUrl).not.toContain("hunter22");
    expect(status.baseUrl).toContain("127.0.0.1:9/v1?api_key=");
  });
});
