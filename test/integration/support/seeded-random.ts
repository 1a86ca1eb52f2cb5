/** A small seeded generator (mulberry32), so a failing fuzz case can be replayed from its seed. */
export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(below: number): number {
    return Math.floor(this.next() * below);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
}

/** Values that break naive parsers: wrong types, edge numbers, huge and deep things. */
export function hostileValue(random: SeededRandom): unknown {
  return random.pick<() => unknown>([
    () => null,
    () => true,
    () => -1,
    () => 0,
    () => 4294967296,
    () => 2 ** 53 + 1,
    () => 1e308,
    () => 0.5,
    () => "",
    () => "x",
    () => "%ZZ\u0000\u202e",
    () => [],
    () => {},
    () => [1, "two", null],
    () => longText(random, 70_000),
    () => deepArray(random.pick([65, 300, 10_000])),
    () => deepObject(random.pick([65, 300, 10_000])),
  ])();
}

/** Text without a break the tokenizer could use, of the kinds that once made it quadratic. */
export function longText(random: SeededRandom, length: number): string {
  const unit = random.pick(["x", "漢字仮名交じり文", " ", "\n", "!@#$%^&*()", "😀", "aGVsbG8gd29ybGQ="]);
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** JSON text nested `depth` arrays deep (built as text: JSON.stringify itself overflows on such values). */
export function deepArrayJson(depth: number): string {
  return `${"[".repeat(depth)}1${"]".repeat(depth)}`;
}

export function deepObjectJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}{}${"}".repeat(depth)}`;
}

function deepArray(depth: number): unknown {
  return new RawJson(deepArrayJson(depth));
}

function deepObject(depth: number): unknown {
  return new RawJson(deepObjectJson(depth));
}

/** A value that stands for already-serialised JSON text in a body built with `toJsonText`. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON.stringify that splices RawJson values in as they are. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value)
      .map(([key, entry]) => `${JSON.stringify(key)}:${toJsonText(entry)}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
