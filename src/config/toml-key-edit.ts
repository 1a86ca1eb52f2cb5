/**
 * Sets one string key of one table in a palyra.toml's text, keeping everything else as written
 * (comments, order, spacing): the key's line is rewritten in place (its trailing comment kept), or
 * the key is added under the table's header, or the table is added at the end. The caller validates
 * the result by loading it: this edits text, it does not understand all of TOML.
 */
export function setTomlStringKey(text: string, table: string, key: string, value: string): string {
  const lines = text.split("\n");
  const assignment = `${key} = ${JSON.stringify(value)}`;
  const header = lines.findIndex((line) => tableName(line) === table);
  if (header === -1) {
    const separator = text === "" || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";
    return `${text}${separator}[${table}]\n${assignment}\n`;
  }
  const keyPattern = new RegExp(`^(\\s*)${escapeRegExp(key)}\\s*=`);
  for (let index = header + 1; index < lines.length && tableName(lines[index] ?? "") === undefined; index += 1) {
    const line = lines[index] ?? "";
    const match = keyPattern.exec(line);
    if (match === null) continue;
    lines[index] = `${match[1] ?? ""}${assignment}${trailingComment(line.slice(match[0].length))}`;
    return lines.join("\n");
  }
  lines.splice(header + 1, 0, assignment);
  return lines.join("\n");
}

/** `[model_provider]  # comment` -> "model_provider"; undefined for any other line (array tables included). */
function tableName(line: string): string | undefined {
  const match = /^\s*\[([^[\]]+)\]\s*(?:#.*)?$/.exec(line);
  return match?.[1]?.trim();
}

/** The comment after a one-line value (`"old"  # why` -> `  # why`); none when there is none. */
function trailingComment(afterEquals: string): string {
  const match = /^\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[^#\s]*)(\s*#.*)$/.exec(afterEquals);
  return match?.[1] ?? "";
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
