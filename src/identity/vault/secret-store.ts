/**
 * What the rest of the daemon needs from the vault: named secrets in, secrets out for the daemon's
 * own use. Values never leave the daemon through the API. Names are referenced as "vault:NAME".
 */
export interface SecretStore {
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  delete(name: string): Promise<boolean>;
}

export const vaultRefPrefix = "vault:";

/** "vault:NAME" -> "NAME"; undefined when the text is not a vault reference. */
export function vaultRefName(ref: string): string | undefined {
  return ref.startsWith(vaultRefPrefix) && ref.length > vaultRefPrefix.length ? ref.slice(vaultRefPrefix.length) : undefined;
}
