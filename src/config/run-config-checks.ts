import { checkAutomation } from "./check-automation.js";
import { checkBudgets } from "./check-budgets.js";
import { checkPricing } from "./check-pricing.js";
import { checkDefaultModels, checkModels, checkProviders } from "./check-references.js";
import type { ReportProblem } from "./config-error.js";
import { isWithinKey } from "./key-path.js";
import type { GatewayConfig } from "./schema.js";

/** A rule across keys that zod cannot express, and the keys it reads ("[]" standing for any index). */
interface ConfigCheck {
  reads: readonly string[];
  check(config: GatewayConfig, report: ReportProblem): void;
}

const provider = (field: string) => `model_provider.providers[].${field}`;
const model = (field: string) => `model_provider.models[].${field}`;
// Whether any provider is configured decides if the embedded models stand in, so model checks read provider ids too.
const providerIds = provider("provider_id");

const configChecks: readonly ConfigCheck[] = [
  {
    reads: ["provider_id", "kind", "base_url", "api_key", "api_key_vault_ref", "api_key_secret_ref", "auth_profile_id", "stream_chunk_delay_ms"].map(provider),
    check: checkProviders,
  },
  { reads: [providerIds, model("model_id"), model("provider_id")], check: checkModels },
  {
    reads: [
      providerIds,
      model("model_id"),
      model("role"),
      ...["chat", "embeddings", "audio_transcription"].map((role) => `model_provider.default_${role}_model_id`),
    ],
    check: checkDefaultModels,
  },
  { reads: [providerIds, model("model_id"), "usage.pricing[].model_id", "usage.pricing[].effective_from"], check: checkPricing },
  { reads: ["usage.timezone", "usage.budgets"], check: checkBudgets },
  { reads: ["automation.timezone", "automation.jobs", providerIds, model("model_id")], check: checkAutomation },
];

/**
 * Runs every cross-key check, reporting all it finds. A check that reads a key in `replaced` (a value
 * the schema rejected, its default standing in) is skipped: judging a stand-in would report problems
 * that are not in the file.
 */
export function runConfigChecks(config: GatewayConfig, report: ReportProblem, replaced: readonly string[] = []): void {
  const replacedKeys = replaced.map((key) => key.replace(/\[\d+\]/g, "[]"));
  for (const { reads, check } of configChecks) {
    const readsReplaced = replacedKeys.some((key) => reads.some((read) => isWithinKey(key, read) || isWithinKey(read, key)));
    if (!readsReplaced) check(config, report);
  }
}
