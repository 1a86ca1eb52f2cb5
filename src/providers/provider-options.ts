import type { Dispatcher } from "undici";

/** What every HTTP provider is built with, resolved from its [[model_provider.providers]] entry. */
export interface HttpProviderOptions {
  providerId: string;
  /** e.g. "https://api.openai.com/v1" or "https://api.anthropic.com/v1" (no trailing path). */
  baseUrl: string;
  /** A fixed credential; undefined for keyless local servers. Ignored when `credential` is set. */
  apiKey: string | undefined;
  /**
   * Looks the credential up per request (vault secrets, auth profiles that refresh, an agent's own
   * profile replacing the global one). `agentId` is the run's agent, when it has one.
   */
  credential?: (agentId: string | undefined) => Promise<string | undefined>;
  /** Limit for one whole upstream request, streamed body included. */
  requestTimeoutMs: number;
  /** The provider's connection pool, guarded against special address ranges; undici's global one when absent (tests). */
  dispatcher?: Dispatcher;
}

/** The credential for one upstream call. */
export async function credentialFor(options: HttpProviderOptions, agentId?: string): Promise<string | undefined> {
  const key = options.credential !== undefined ? await options.credential(agentId) : options.apiKey;
  return key === "" ? undefined : key;
}
