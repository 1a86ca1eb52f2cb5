import { z } from "zod";
import { budgetActions, budgetIntervalKinds, budgetMetricKinds, budgetScopeKinds } from "../shared/budget-policy.js";
import { providerKinds } from "../shared/provider-kinds.js";
import { consoleSchema, daemonSchema, metricsSchema } from "./schema-daemon.js";

/** palyra.toml, version 1. Every table is strict: an unknown key is an error that names it. */

const positiveMs = z.number().int().positive();
const tier = z.number().int().min(0).max(10);
const identifier = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/, "must be 1-128 letters, digits or . _ : / - (starting with a letter or digit)");

/** Settings a provider inherits from [model_provider] and may override. */
const providerTuning = {
  request_timeout_ms: positiveMs.optional(),
  max_retries: z.number().int().min(0).max(10).optional(),
  retry_backoff_ms: z.number().int().min(0).optional(),
  circuit_breaker_failure_threshold: z.number().int().min(1).optional(),
  circuit_breaker_cooldown_ms: positiveMs.optional(),
};

const secretRef = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("env"), variable: z.string().min(1) }),
  z.strictObject({ kind: z.literal("file"), path: z.string().min(1) }),
]);

const providerSchema = z.strictObject({
  provider_id: identifier,
  kind: z.enum(providerKinds),
  base_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  allow_private_base_url: z.boolean().default(false),
  enabled: z.boolean().default(true),
  api_key: z.string().min(1).optional(),
  api_key_vault_ref: z
    .string()
    .regex(/^vault:.+/, 'must look like "vault:NAME"')
    .optional(),
  api_key_secret_ref: secretRef.optional(),
  auth_profile_id: z.string().min(1).optional(),
  /** Deterministic provider only: pause between streamed chunks, to simulate a slow model. */
  stream_chunk_delay_ms: z.number().int().min(0).max(60_000).optional(),
  ...providerTuning,
});

export const modelRoles = ["chat", "embeddings", "audio_transcription"] as const;
export type ModelRole = (typeof modelRoles)[number];

const modelSchema = z.strictObject({
  model_id: identifier,
  provider_id: identifier,
  upstream_model: z.string().min(1).optional(),
  role: z.enum(modelRoles).default("chat"),
  enabled: z.boolean().default(true),
  tool_calls: z.boolean().default(false),
  json_mode: z.boolean().default(false),
  vision: z.boolean().default(false),
  max_context_tokens: z.number().int().positive().default(128_000),
  cost_tier: tier.default(5),
  latency_tier: tier.default(5),
  /** Treat requests without a temperature as deterministic, so the response cache may serve them. */
  cache_unset_temperature: z.boolean().default(false),
  /** The model's output cap: budgets project a request without max_tokens at this many output tokens. */
  max_output_tokens: z.number().int().positive().default(4096),
});

const modelProviderSchema = z.strictObject({
  default_chat_model_id: identifier.optional(),
  default_embeddings_model_id: identifier.optional(),
  default_audio_transcription_model_id: identifier.optional(),
  failover_enabled: z.boolean().default(true),
  response_cache_enabled: z.boolean().default(false),
  response_cache_ttl_ms: positiveMs.default(30_000),
  response_cache_max_entries: z.number().int().positive().default(128),
  /** Run discovery in the background every discovery_ttl_ms; off so models never appear unasked. */
  discovery_enabled: z.boolean().default(false),
  discovery_ttl_ms: positiveMs.default(3_600_000),
  health_ttl_ms: positiveMs.default(60_000),
  request_timeout_ms: positiveMs.default(60_000),
  max_retries: z.number().int().min(0).max(10).default(2),
  retry_backoff_ms: z.number().int().min(0).default(150),
  circuit_breaker_failure_threshold: z.number().int().min(1).default(3),
  circuit_breaker_cooldown_ms: positiveMs.default(30_000),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]),
});

/** True for https URLs, and http URLs whose host is loopback (local test servers); OAuth endpoints must be one. */
function isHttpsOrLoopback(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  return protocol === "https:" || hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}

const oauthUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).refine(isHttpsOrLoopback, "must use https (http only with a loopback host)");

/** One [auth.oauth.<name>]: an authorization server the daemon logs in with (authorization code + PKCE). */
const oauthProviderSchema = z.strictObject({
  authorization_endpoint: oauthUrl,
  token_endpoint: oauthUrl,
  client_id: z.string().min(1),
  scopes: z.array(z.string().min(1)).default([]),
  /** Where the server sends the browser back; defaults to the daemon's own http://<http bind>/oauth/callback. */
  redirect_uri: oauthUrl.optional(),
  client_secret_ref: secretRef.optional(),
  /** How the client authenticates at the token endpoint; client_secret_basic when a secret is set, else none. */
  token_endpoint_auth_method: z.enum(["client_secret_basic", "client_secret_post", "none"]).optional(),
  /** The server's issuer identifier, checked against ID tokens it returns; defaults to the token endpoint's origin. */
  issuer: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
});

const authSchema = z.strictObject({
  /** How often the background loop looks for OAuth profiles whose access token expires within 5 minutes. */
  refresh_check_interval_ms: positiveMs.default(60_000),
  /** The first wait after a failed refresh; it doubles with each further failure, up to refresh_backoff_max_ms. */
  refresh_backoff_initial_ms: positiveMs.default(30_000),
  refresh_backoff_max_ms: positiveMs.default(1_800_000),
  oauth: z.record(identifier, oauthProviderSchema).default({}),
});

const usdPerMillion = z.number().min(0);

/** [[usage.pricing]]: USD per million tokens, and a fixed cost per request, from a moment on. */
const pricingSchema = z.strictObject({
  model_id: identifier,
  input_per_mtok: usdPerMillion.default(0),
  output_per_mtok: usdPerMillion.default(0),
  /** Defaults to the input price when unset. */
  cached_input_per_mtok: usdPerMillion.optional(),
  /** Defaults to the input price when unset. */
  cache_write_per_mtok: usdPerMillion.optional(),
  per_request: z.number().min(0).default(0),
  /** RFC 3339 date-time; unset means since always. */
  effective_from: z.iso.datetime({ offset: true }).optional(),
});

/** [[usage.budgets]]: a limit on tokens or USD per calendar interval, for one scope. */
const budgetSchema = z.strictObject({
  policy_id: identifier,
  scope_kind: z.enum(budgetScopeKinds),
  /** Empty for global policies. */
  scope_id: z.string().default(""),
  metric_kind: z.enum(budgetMetricKinds),
  interval_kind: z.enum(budgetIntervalKinds),
  /** 0 means no soft limit. */
  soft_limit_value: z.number().min(0).default(0),
  /** 0 means no hard limit. */
  hard_limit_value: z.number().min(0).default(0),
  action: z.enum(budgetActions).default("block"),
  enabled: z.boolean().default(true),
});

export const routingModes = ["suggest", "dry_run", "enforced"] as const;

const smartRoutingSchema = z.strictObject({
  enabled: z.boolean().default(false),
  mode: z.enum(routingModes).default("suggest"),
  /** Complexity at or below which the cheapest capable model is recommended. */
  low_threshold: z.number().min(0).max(1).default(0.3),
  /** Complexity at or above which the strongest capable model is recommended. */
  high_threshold: z.number().min(0).max(1).default(0.7),
});

const usageSchema = z.strictObject({
  /** IANA time zone the daily, weekly (Monday) and monthly budget intervals align to. */
  timezone: z.string().default("UTC"),
  pricing: z.array(pricingSchema).default([]),
  budgets: z.array(budgetSchema).default([]),
  smart_routing: smartRoutingSchema.default(() => smartRoutingSchema.parse({})),
});

/** A job's schedule and policies, shared by [[automation.jobs]] and CronService (which converts to the same shape). */
const jobSchema = z
  .strictObject({
    job_id: identifier,
    name: z.string().min(1).max(256).optional(),
    /** One user message. */
    prompt: z.string().min(1).max(1_000_000),
    model: identifier.optional(),
    max_tokens: z.number().int().positive().max(2_147_483_647).optional(),
    agent_id: z.string().min(1).max(256).optional(),
    enabled: z.boolean().default(true),
    /** Exactly one of cron, every_ms / every, at. */
    cron: z.string().min(1).max(256).optional(),
    /** IANA time zone of `cron`; default [automation] timezone. */
    timezone: z.string().min(1).max(64).optional(),
    every_ms: z.number().int().min(1000).optional(),
    /** RFC 3339 instant. */
    at: z.iso.datetime({ offset: true }).optional(),
    concurrency: z.enum(["forbid", "replace", "queue_one"]).default("forbid"),
    misfire: z.enum(["skip", "catch_up"]).default("skip"),
    max_catch_up: z.number().int().min(1).max(100).default(3),
    max_attempts: z.number().int().min(1).max(16).default(1),
    backoff_ms: z.number().int().min(0).max(600_000).default(1000),
    jitter_ms: z.number().int().min(0).max(60_000).default(0),
    max_runs: z.number().int().positive().optional(),
  })
  .refine((job) => [job.cron, job.every_ms, job.at].filter((value) => value !== undefined).length === 1, {
    error: "needs exactly one schedule: cron, every_ms or at",
  });

export const selfHealingModes = ["disabled", "observe_only", "auto"] as const;

const selfHealingSchema = z.strictObject({
  mode: z.enum(selfHealingModes).default("observe_only"),
  /** Work with no sign of progress for this long is stalled. */
  stall_after_ms: z.number().int().min(1000).default(120_000),
  /** How often the watchdog looks. */
  check_interval_ms: z.number().int().min(100).default(15_000),
});

const automationSchema = z.strictObject({
  /** IANA time zone of cron jobs that name none. */
  timezone: z.string().default("UTC"),
  /** How often the integrity audit system job runs (vault, references, budget counters, open runs). */
  audit_interval_ms: z
    .number()
    .int()
    .min(60_000)
    .default(6 * 3_600_000),
  jobs: z.array(jobSchema).max(1000).default([]),
  self_healing: selfHealingSchema.default(() => selfHealingSchema.parse({})),
});

/** [memory]: agent memory journals, what feeds them, how big they may grow, and their system jobs. */
const memorySchema = z.strictObject({
  /** Every succeeded chat run adds its last user message and its answer to its agent's journal. */
  capture_runs: z.boolean().default(false),
  /** Only these agents' runs are captured (when capture_runs is off). */
  capture_agents: z.array(z.string().min(1).max(256)).max(1000).default([]),
  /** Per agent: the oldest items beyond these are removed by maintenance. */
  max_items: z.number().int().positive().default(10_000),
  max_bytes: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
  /** Largest text one item may hold. */
  max_item_bytes: z
    .number()
    .int()
    .positive()
    .max(1024 * 1024)
    .default(64 * 1024),
  /** Expire and cap every agent's journal this often. */
  maintenance_interval_ms: z.number().int().min(1000).default(300_000),
  /** Optimise the full-text index and vacuum the store this often (slower than maintenance). */
  vacuum_interval_ms: z
    .number()
    .int()
    .min(60_000)
    .default(24 * 3_600_000),
  /** Embed items that have no vector for the current embeddings model this often, a batch at a time. */
  backfill_interval_ms: z.number().int().min(1000).default(600_000),
  backfill_batch_size: z.number().int().min(1).max(2048).default(64),
});

export const configSchema = z.strictObject({
  version: z.literal(1, { error: "must be 1" }),
  daemon: daemonSchema.default(() => daemonSchema.parse({})),
  model_provider: modelProviderSchema.default(() => modelProviderSchema.parse({})),
  auth: authSchema.default(() => authSchema.parse({})),
  usage: usageSchema.default(() => usageSchema.parse({})),
  automation: automationSchema.default(() => automationSchema.parse({})),
  memory: memorySchema.default(() => memorySchema.parse({})),
  metrics: metricsSchema.default(() => metricsSchema.parse({})),
  console: consoleSchema.default(() => consoleSchema.parse({})),
});

export type GatewayConfig = z.output<typeof configSchema>;
export type UsageConfig = z.output<typeof usageSchema>;
export type PricingConfig = z.output<typeof pricingSchema>;
export type BudgetConfig = z.output<typeof budgetSchema>;
export type SmartRoutingConfig = z.output<typeof smartRoutingSchema>;
export type ProviderConfig = z.output<typeof providerSchema>;
export type ModelConfig = z.output<typeof modelSchema>;
export type ModelProviderConfig = z.output<typeof modelProviderSchema>;
export type AuthConfig = z.output<typeof authSchema>;
export type OAuthProviderConfig = z.output<typeof oauthProviderSchema>;
export type AutomationConfig = z.output<typeof automationSchema>;
export type JobConfig = z.output<typeof jobSchema>;
export type SelfHealingConfig = z.output<typeof selfHealingSchema>;
export type MemoryConfig = z.output<typeof memorySchema>;
export type { ConsoleConfig, MetricsConfig } from "./schema-daemon.js";
