/** Prints one value as indented JSON (for --json on one-shot commands). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints one value as a single JSON line (for --json on streams: one event per line). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function printLine(text = ""): void {
  process.stdout.write(`${text}\n`);
}

/** Lays rows out in left-aligned columns under upper-case headers. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers.map((header) => header.toUpperCase())), ...rows.map(line)].join("\n");
}

/** "MODEL_ROLE_CHAT" -> "chat": an enum's JSON name without its type prefix, for tables. */
export function enumLabel(jsonName: string, prefix: string): string {
  return jsonName.startsWith(prefix) ? jsonName.slice(prefix.length).toLowerCase() : jsonName.toLowerCase();
}

/** A time for tables: RFC 3339 to the second, in UTC; `none` when there is no time. */
export function formatTime(date: Date | undefined, none = "-"): string {
  return date === undefined ? none : date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function yesNo(value: boolean): string {
  return value ? "yes" : "no";
}
