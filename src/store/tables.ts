import type { Generated, Insertable, Selectable, Updateable } from "kysely";
import type { CronJobsTable, IncidentsTable, JobRunsTable, TasksTable } from "./automation-tables.js";
import type { MemoryItemsTable, MemoryVectorsTable } from "./memory-tables.js";

/** Row types of every table; columns are portable between SQLite and PostgreSQL. */
export interface Database {
  runs: RunsTable;
  api_keys: ApiKeysTable;
  vault_secrets: VaultSecretsTable;
  auth_profiles: AuthProfilesTable;
  oauth_attempts: OAuthAttemptsTable;
  model_prices: ModelPricesTable;
  budget_policies: BudgetPoliciesTable;
  budget_counters: BudgetCountersTable;
  budget_approvals: BudgetApprovalsTable;
  budget_alerts: BudgetAlertsTable;
  cron_jobs: CronJobsTable;
  job_runs: JobRunsTable;
  tasks: TasksTable;
  incidents: IncidentsTable;
  memory_items: MemoryItemsTable;
  memory_vectors: MemoryVectorsTable;
}

export type RunStatus = "running" | "succeeded" | "failed" | "cancelled";

/** What a run did: a chat (RunStream or /v1/chat/completions), an embeddings batch, a transcription. */
export type RunKind = "chat" | "embeddings" | "audio_transcription";

export interface RunsTable {
  run_id: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  finished_at: number | null;
  status: RunStatus;
  run_kind: Generated<RunKind>;
  caller_id: string;
  agent_id: string | null;
  session_id: string | null;
  user_id: string | null;
  client_request_id: string | null;
  requested_model: string | null;
  model_id: string;
  provider_id: string;
  upstream_model: string;
  finish_reason: string | null;
  input_tokens: Generated<number>;
  output_tokens: Generated<number>;
  cached_input_tokens: Generated<number>;
  cache_write_tokens: Generated<number>;
  /** 1 when the gateway counted the tokens because the upstream reported none. */
  usage_estimated: Generated<number>;
  attempts: Generated<number>;
  /** 1 when the answer came from the response cache (no upstream call). */
  cache_hit: Generated<number>;
  /** USD, by the pricing in force when the run ended. */
  cost_usd: Generated<number>;
  /** 1 when the cost rests on estimated usage or no price was known. */
  cost_estimated: Generated<number>;
  routing_mode: string | null;
  recommended_model: string | null;
  complexity: number | null;
  /** In dry_run mode: what enforcement would have changed. */
  dry_run_change: string | null;
  first_output_ms: number | null;
  duration_ms: number | null;
  error_kind: string | null;
  error_message: string | null;
  /** The last sign of progress while running (usage so far rides in the token columns, estimated). */
  heartbeat_at: Generated<number | null>;
}

export type RunRow = Selectable<RunsTable>;
export type NewRunRow = Insertable<RunsTable>;
export type RunRowUpdate = Updateable<RunsTable>;

/** Client API keys the daemon issued; only a hash of each key is kept. */
export interface ApiKeysTable {
  key_id: string;
  name: string;
  agent_id: string | null;
  /** JSON array of scope names. */
  scopes: string;
  /** Requests / tokens per minute; 0 means no limit. */
  rpm_limit: number;
  tpm_limit: number;
  /** Milliseconds since the epoch. */
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  /** The first characters of the key, to recognise it. */
  prefix: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  last_used_at: number | null;
}

export type ApiKeyRow = Selectable<ApiKeysTable>;
export type NewApiKeyRow = Insertable<ApiKeysTable>;

/** Vault secrets, each sealed with AES-256-GCM under the master key `key_id` names. */
export interface VaultSecretsTable {
  name: string;
  /** base64 of nonce | ciphertext | tag. */
  ciphertext: string;
  key_id: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  updated_at: number;
}

export type VaultSecretRow = Selectable<VaultSecretsTable>;
export type NewVaultSecretRow = Insertable<VaultSecretsTable>;

/** Upstream credentials: an API key or OAuth tokens, each a vault reference ("vault:NAME"), never the value. */
export interface AuthProfilesTable {
  profile_id: string;
  /** "openai", "anthropic" or "openai_compatible". */
  provider_kind: string;
  name: string;
  /** Null for a global profile. */
  agent_id: string | null;
  credential_kind: "api_key" | "oauth";
  base_url: string | null;
  api_key_ref: string | null;
  access_token_ref: string | null;
  refresh_token_ref: string | null;
  oauth_provider: string | null;
  token_endpoint: string | null;
  client_id: string | null;
  /** Space-separated. */
  scopes: string | null;
  /** Milliseconds since the epoch. */
  expires_at: number | null;
  last_refreshed_at: number | null;
  refresh_failures: Generated<number>;
  last_refresh_error: string | null;
  /** Bumped by every credential write; a write that read an older generation is dropped. */
  generation: Generated<number>;
  created_at: number;
  updated_at: number;
}

export type AuthProfileRow = Selectable<AuthProfilesTable>;
export type NewAuthProfileRow = Insertable<AuthProfilesTable>;
export type AuthProfileRowUpdate = Updateable<AuthProfilesTable>;

/** OAuth logins under way: single-use, found by the SHA-256 of their state. */
export interface OAuthAttemptsTable {
  state_hash: string;
  oauth_provider: string;
  profile_id: string;
  provider_kind: string;
  agent_id: string | null;
  redirect_uri: string;
  /** Where the PKCE code verifier is kept until the code is exchanged. */
  verifier_ref: string;
  created_at: number;
  expires_at: number;
}

export type OAuthAttemptRow = Selectable<OAuthAttemptsTable>;

/** Prices set at runtime (UsageService.SetPricing): USD per million tokens, and per request. */
export interface ModelPricesTable {
  model_id: string;
  /** Milliseconds since the epoch; 0 means since always. */
  effective_from: number;
  input_per_mtok: number;
  output_per_mtok: number;
  cached_input_per_mtok: number;
  cache_write_per_mtok: number;
  per_request: number;
  updated_at: number;
}

export type ModelPriceRow = Selectable<ModelPricesTable>;

/** Budget policies set at runtime (UsageService.SetBudgetPolicy); [[usage.budgets]] live in the config. */
export interface BudgetPoliciesTable {
  policy_id: string;
  scope_kind: string;
  /** Empty for global policies. */
  scope_id: string;
  metric_kind: string;
  interval_kind: string;
  /** 0 means no limit. */
  soft_limit_value: number;
  hard_limit_value: number;
  action: string;
  enabled: number;
  /** Milliseconds since the epoch. */
  created_at: number;
  updated_at: number;
}

export type BudgetPolicyRow = Selectable<BudgetPoliciesTable>;

/** Per policy and calendar interval: what runs used (consumed) and what runs in flight may still use (reserved). */
export interface BudgetCountersTable {
  policy_id: string;
  /** Milliseconds since the epoch. */
  interval_start: number;
  interval_end: number;
  /** Tokens or USD, by the policy's metric. */
  consumed: number;
  reserved: number;
}

export type BudgetCounterRow = Selectable<BudgetCountersTable>;

export type ApprovalState = "pending" | "approved" | "denied" | "consumed";

/** Requests a require_approval policy held, and what an operator decided. */
export interface BudgetApprovalsTable {
  approval_id: string;
  policy_id: string;
  state: ApprovalState;
  caller_id: string;
  agent_id: string | null;
  session_id: string | null;
  user_id: string | null;
  model_id: string;
  projected_value: number;
  request_hash: string;
  /** Milliseconds since the epoch. */
  created_at: number;
  decided_at: number | null;
  reason: string | null;
}

export type BudgetApprovalRow = Selectable<BudgetApprovalsTable>;

/** Soft limits crossed: at most one per policy and interval. */
export interface BudgetAlertsTable {
  alert_id: string;
  policy_id: string;
  interval_start: number;
  /** Milliseconds since the epoch. */
  created_at: number;
  consumed: number;
  soft_limit_value: number;
  message: string;
}

export type BudgetAlertRow = Selectable<BudgetAlertsTable>;
