import type { Dispatcher } from "undici";

/** What every HTTP provider is built with, resolved from its [[model_provider.providers]] entry. */
export interface HttpProviderOptions {
  providerId: string;
  /** e.g. "https://api.openai.com/v1" or "https://api.anthropic.com/v1" (no trailing path). */
  baseUrl: string;
  /** The credential, resolved from api_key / api_key_secret_ref at start-up; undefined for keyless local servers. */
  apiKey: string | undefined;
  /** Limit for one whole upstream request, streamed body included. */
  requestTimeoutMs: number;
  /** The provider's connection pool, guarded against special address ranges; undici's global one when absent (tests). */
  dispatcher?: Dispatcher;
}
