/**
 * An upstream URL the gateway refuses to use, naming the setting it came from. Callers at start-up
 * report it as a configuration error. The message never repeats the URL, which may hold a password.
 */
export class BlockedUrlError extends Error {
  override readonly name = "BlockedUrlError";

  constructor(
    readonly settingKey: string,
    readonly problem: string,
  ) {
    super(`${settingKey}: ${problem}`);
  }
}

/**
 * Checks the shape of an upstream URL: parseable, http or https, no user name or password. Which
 * addresses the host may resolve to is checked later, at connect time (see guarded-dispatcher.ts).
 */
export function checkUpstreamUrl(url: string, settingKey: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BlockedUrlError(settingKey, "is not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new BlockedUrlError(settingKey, `must be an http or https URL, not ${parsed.protocol.replace(/:$/, "")}`);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    throw new BlockedUrlError(settingKey, "must not contain a user name or password; give the credential with api_key or api_key_secret_ref");
  }
  if (parsed.hostname === "") throw new BlockedUrlError(settingKey, "has no host");
  return parsed;
}
