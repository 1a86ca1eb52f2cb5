/** One sample of the Prometheus text exposition format. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

/**
 * Parses the text format (version 0.0.4) strictly: every non-comment line must be a sample with
 * well-formed labels, so a malformed exposition fails the test that reads it.
 */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = sampleLine.exec(line);
    if (match === null) throw new Error(`not a Prometheus sample: ${line}`);
    const [, name = "", rawLabels = "", rawValue = ""] = match;
    const labels: Record<string, string> = {};
    labelPair.lastIndex = 0;
    let consumed = 0;
    for (let pair = labelPair.exec(rawLabels); pair !== null; pair = labelPair.exec(rawLabels)) {
      labels[pair[1] ?? ""] = (pair[2] ?? "").replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
      consumed = labelPair.lastIndex;
    }
    if (consumed !== rawLabels.length) throw new Error(`malformed labels: ${line}`);
    const value = rawValue === "+Inf" ? Number.POSITIVE_INFINITY : rawValue === "-Inf" ? Number.NEGATIVE_INFINITY : Number(rawValue);
    if (Number.isNaN(value) && rawValue.toLowerCase() !== "nan") throw new Error(`malformed value: ${line}`);
    samples.push({ name, labels, value });
  }
  return samples;
}

/** The sum of the samples named `name` whose labels include `where`. */
export function sumOf(samples: readonly PromSample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((sample) => sample.name === name && Object.entries(where).every(([key, value]) => sample.labels[key] === value))
    .reduce((total, sample) => total + sample.value, 0);
}
