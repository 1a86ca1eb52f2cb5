/**
 * Text cut to at most `maxLength` characters, marked with "…" when cut: for a caller's words quoted in
 * an error, a log line or a record, which must not come back (or be kept) whole.
 */
export function clip(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength)}…`;
}
