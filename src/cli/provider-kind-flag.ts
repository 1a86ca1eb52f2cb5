import { InvalidArgumentError } from "commander";

/** What an auth profile can authenticate. */
export const profileProviderKinds = ["openai", "anthropic", "openai_compatible"];

/** Commander parser for --provider / --provider-kind. */
export function parseProviderKind(value: string): string {
  if (!profileProviderKinds.includes(value)) throw new InvalidArgumentError(`must be one of ${profileProviderKinds.join(", ")}`);
  return value;
}
