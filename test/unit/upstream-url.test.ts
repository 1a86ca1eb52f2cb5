import { describe, expect, it } from "vitest";
import { BlockedUrlError, checkUpstreamUrl } from "../../src/shared/netguard/upstream-url.js";

const key = "model_provider.providers[0].base_url";

function refusal(url: string): BlockedUrlError {
  let error: unknown;
  try {
    checkUpstreamUrl(url, key);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(BlockedUrlError);
  expect((error as BlockedUrlError).settingKey).toBe(key);
  expect((error as BlockedUrlError).message.startsWith(`${key}: `)).toBe(true);
  return error as BlockedUrlError;
}

describe("checkUpstreamUrl", () => {
  it("accepts http and https URLs and returns them parsed", () => {
    expect(checkUpstreamUrl("https://api.openai.com/v1", key).hostname).toBe("api.openai.com");
    expect(checkUpstreamUrl("http://127.0.0.1:8080/v1", key).port).toBe("8080");
    expect(checkUpstreamUrl("http://[::1]:8080/v1", key).hostname).toBe("[::1]");
  });

  it("refuses what does not parse", () => {
    expect(refusal("not a url").problem).toBe("is not a valid URL");
    expect(refusal("").problem).toBe("is not a valid URL");
  });

  it.each(["ftp://files.example.test/v1", "file:///etc/passwd", "ws://api.example.test/v1", "gopher://api.example.test/"])(
    "refuses the scheme of %s",
    (url) => {
      expect(refusal(url).problem).toMatch(/^must be an http or https URL, not [a-z]+$/);
    },
  );

  it.each(["https://alice:hunter2@api.example.test/v1", "https://alice@api.example.test/v1", "http://:hunter2@api.example.test/v1"])(
    "refuses credentials in %s without repeating them",
    (url) => {
      const error = refusal(url);
      expect(error.problem).toMatch(/must not contain a user name or password/);
      expect(error.message).not.toMatch(/alice|hunter2/);
    },
  );
});
