/** A configuration problem, naming the file and the key at fault. Fatal at start-up. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  constructor(
    readonly source: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(key ? `${source}: ${key}: ${problem}` : `${source}: ${problem}`);
  }
}
