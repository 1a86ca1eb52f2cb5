/** One thing wrong with the configuration, and where it came from. */
export interface ConfigProblem {
  /** The config file (with :line:column for syntax errors), or the PALYRA__* variable that set the key. */
  source: string;
  /** The dotted key at fault ("model_provider.providers[0].kind"); empty when the problem is the whole file. */
  key: string;
  message: string;
}

/** How checks report a problem: the key at fault and what is wrong with it. */
export type ReportProblem = (key: string, message: string) => void;

/**
 * Every problem found in the configuration, reported together so one run shows them all. Fatal at
 * start-up. The message is the whole report: a first line counting the problems, then one per line.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: readonly ConfigProblem[];
  /** The config being loaded: its file, or the embedded-defaults marker. */
  readonly configSource: string;
  /** The first problem's source, key and message, for callers that handle one. */
  readonly source: string;
  readonly key: string;
  readonly problem: string;

  constructor(problems: readonly ConfigProblem[], configSource: string);
  constructor(source: string, key: string, problem: string);
  constructor(first: readonly ConfigProblem[] | string, second: string, problem = "") {
    const problems = typeof first === "string" ? [{ source: first, key: second, message: problem }] : first;
    super(formatConfigReport(problems));
    this.problems = problems;
    this.configSource = typeof first === "string" ? first : second;
    this.source = problems[0]?.source ?? this.configSource;
    this.key = problems[0]?.key ?? "";
    this.problem = problems[0]?.message ?? "";
  }
}

/** "/etc/palyra.toml: daemon.log_level: must be one of …" */
export function describeProblem(problem: ConfigProblem): string {
  return problem.key === "" ? `${problem.source}: ${problem.message}` : `${problem.source}: ${problem.key}: ${problem.message}`;
}

export function formatConfigReport(problems: readonly ConfigProblem[]): string {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"} in the config:`;
  return [count, ...problems.map((problem) => `  ${describeProblem(problem)}`)].join("\n");
}
