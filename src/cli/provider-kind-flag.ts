import { InvalidArgumentError } from "commander";
import { isProfileProviderKind, profileProviderKinds } from "../identity/auth-profiles/profile-types.js";

/** What an auth profile can authenticate: identity's list, for --provider / --provider-kind help texts. */
export { profileProviderKinds };

/** Commander parser for --provider / --provider-kind. */
export function parseProviderKind(value: string): string {
  if (!isProfileProviderKind(value)) throw new InvalidArgumentError(`must be one of ${profileProviderKinds.join(", ")}`);
  return value;
}
