import { z } from "zod";

// The daemon's own surfaces: [daemon] (listeners, limits, logs), [metrics] and [console]. Part of
// configSchema (schema.ts), kept apart so each file holds one family of tables.

const bind = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be "host:port" (IPv6 as "[::1]:port")');

export const daemonSchema = z.strictObject({
  grpc_bind: bind.optional(),
  http_bind: bind.optional(),
  /** How long a stopping daemon lets in-flight runs finish before cancelling them. */
  shutdown_grace_ms: z.number().int().min(0).default(10_000),
  /** Largest accepted /v1 request body. */
  max_request_body_bytes: z
    .number()
    .int()
    .positive()
    .default(20 * 1024 * 1024),
  log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

/** [metrics]: the Prometheus scrape endpoint GET /metrics on the HTTP port. */
export const metricsSchema = z.strictObject({
  /** Scrapable without a token (the admin token is needed otherwise). */
  public: z.boolean().default(false),
  /** Cost and token series keep this many agents (the busiest); the rest fold into agent="other". */
  top_agents: z.number().int().min(1).max(1000).default(20),
});

/** [console]: the web console at /console on the HTTP port, signed in with the admin token. */
export const consoleSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** A session ends this long after sign-in. */
  session_ttl_ms: z
    .number()
    .int()
    .min(60_000)
    .max(7 * 24 * 3_600_000)
    .default(8 * 3_600_000),
});

export type MetricsConfig = z.output<typeof metricsSchema>;
export type ConsoleConfig = z.output<typeof consoleSchema>;
