import { describe, expect, it } from "vitest";
import { closestKey, editDistance } from "../../src/config/closest-key.js";

describe("editDistance", () => {
  it("counts insertions, deletions, substitutions and swaps of neighbours as one edit each", () => {
    expect(editDistance("log_level", "log_level")).toBe(0);
    expect(editDistance("log_levl", "log_level")).toBe(1);
    expect(editDistance("log_levell", "log_level")).toBe(1);
    expect(editDistance("log_lebel", "log_level")).toBe(1);
    expect(editDistance("lgo_level", "log_level")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("closestKey", () => {
  const daemonKeys = ["grpc_bind", "http_bind", "shutdown_grace_ms", "max_request_body_bytes", "log_level"];

  it("picks the nearest key within two edits", () => {
    expect(closestKey("log_levl", daemonKeys)).toBe("log_level");
    expect(closestKey("grcp_bind", daemonKeys)).toBe("grpc_bind");
    expect(closestKey("Log_Level", daemonKeys)).toBe("log_level");
    expect(closestKey("htp_bnd", daemonKeys)).toBe("http_bind");
  });

  it("suggests nothing for keys further off, or so short that any key would be near", () => {
    expect(closestKey("verbosity", daemonKeys)).toBeUndefined();
    expect(closestKey("id", ["kind", "path"])).toBeUndefined();
    expect(closestKey("lvl", daemonKeys)).toBeUndefined();
  });

  it("suggests the one key that extends the typed one by whole words", () => {
    expect(closestKey("failover", ["failover_enabled", "max_retries"])).toBe("failover_enabled");
    expect(closestKey("response_cache", ["response_cache_enabled", "response_cache_ttl_ms"])).toBeUndefined();
  });
});
