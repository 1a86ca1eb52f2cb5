import { describe, expect, it } from "vitest";
import { redactSnapshot, redactText } from "../../src/diagnostics/redact-snapshot.js";
import { redactUrl } from "../../src/shared/redact-url.js";

describe("redactUrl", () => {
  it("removes userinfo and every query value and fragment, keeping host and path", () => {
    expect(redactUrl("https://user:pa55word@api.example.test:8443/v1/chat?api_key=abc&model=x#token=t")).toBe(
      "https://<redacted>@api.example.test:8443/v1/chat?api_key=<redacted>&model=<redacted>#<redacted>",
    );
    expect(redactUrl("http://127.0.0.1:7143/v1")).toBe("http://127.0.0.1:7143/v1");
    expect(redactUrl("http://token@host?flag")).toBe("http://<redacted>@host?flag");
  });
});

describe("redactText", () => {
  it("masks known secrets in any encoding, URLs in prose and credential shapes", () => {
    const known = "plain-known-secret-77";
    const text = [
      `quoted ${known}`,
      `encoded ${Buffer.from(known).toString("base64")}`,
      "fetch http://me:hunter22@upstream.test/v1?sig=s3cr3t failed",
      "Authorization: Bearer abcdefghijklmnop",
      "key sk-proj-abcdefghijklmnop",
    ].join("\n");
    const clean = redactText(text, [known]);
    for (const leaked of [known, Buffer.from(known).toString("base64"), "hunter22", "s3cr3t", "abcdefghijklmnop"]) expect(clean).not.toContain(leaked);
    expect(clean).toContain("http://<redacted>@upstream.test/v1?sig=<redacted>");
  });

  it("leaves very short known values alone rather than cutting words out of the text", () => {
    expect(redactText("the provider is ok", ["ok"])).toBe("the provider is ok");
  });
});

describe("redactSnapshot", () => {
  it("walks nested objects and arrays, keeping dates, numbers and bigints", () => {
    const at = new Date(0);
    const snapshot = { a: [{ b: "x sk-abcdefghijkl" }], at, n: 3, big: 4n, none: undefined };
    expect(redactSnapshot(snapshot, [])).toEqual({ a: [{ b: "x <redacted>" }], at, n: 3, big: 4n, none: undefined });
  });
});

describe("a URL in prose", () => {
  it("ends before trailing punctuation, and a known secret in its query leaves one mark", () => {
    expect(redactText("(from http://u:p@h.test/x?sig=known-secret-1).", ["known-secret-1"])).toBe("(from http://<redacted>@h.test/x?sig=<redacted>).");
  });
});
