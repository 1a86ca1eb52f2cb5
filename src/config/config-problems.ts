import { ConfigError, type ConfigProblem, type ReportProblem } from "./config-error.js";
import { isWithinKey } from "./key-path.js";

/** Collects problems while a config loads, naming for each key the file or the PALYRA__* variable that set it. */
export class ConfigProblems {
  readonly list: ConfigProblem[] = [];

  /**
   * @param file the config file (or embedded-defaults marker)
   * @param envVariables dotted key -> the environment variable that set it
   */
  constructor(
    private readonly file: string,
    private readonly envVariables: ReadonlyMap<string, string>,
  ) {}

  /** Adds a problem with a key, attributed to whatever set that key (or the table holding it). */
  readonly add: ReportProblem = (key, message) => {
    this.list.push({ source: this.sourceOf(key), key, message });
  };

  /** Adds a problem that is the file's own, whatever the environment says. */
  addForFile(key: string, message: string): void {
    this.list.push({ source: this.file, key, message });
  }

  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigError(this.list, this.file);
  }

  /** The variable that set the key or the nearest table around it; otherwise the file. */
  private sourceOf(key: string): string {
    let best: { key: string; variable: string } | undefined;
    for (const [setKey, variable] of this.envVariables) {
      if (isWithinKey(key, setKey) && (best === undefined || setKey.length > best.key.length)) best = { key: setKey, variable };
    }
    return best?.variable ?? this.file;
  }
}
