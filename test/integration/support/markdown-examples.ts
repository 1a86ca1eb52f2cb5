/**
 * Reads the examples out of Markdown documents for readme-examples.test.ts: fenced code blocks, the
 * `<!-- readme-test: … -->` directive on the line before a block, and the shell commands in a block.
 */

/** What the line before a code block asks of the test: leave the block alone, or save it as a file. */
export type Directive = { kind: "skip"; reason: string } | { kind: "save-as"; fileName: string };

export interface CodeBlock {
  /** The document's path relative to the repository root, for messages. */
  document: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's info string, e.g. "sh", "toml", "js"; "" when it has none. */
  language: string;
  /** The lines between the fences. */
  lines: string[];
  directive: Directive | undefined;
}

export interface ShellCommand {
  /** The command as a reader pastes it: continuation lines included, backslash-newlines kept. */
  text: string;
  /** 1-based line in the document where the command starts. */
  line: number;
  /** Set by a trailing `# readme-test: skip: REASON` on the command's last line. */
  skipReason: string | undefined;
}

const directivePattern = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;
const fencePattern = /^(`{3,})\s*([\w-]*)\s*$/;
const lineSkipPattern = /#\s*readme-test:\s*skip:\s*(\S.*)$/;

/** Every fenced code block of a document. Throws on a malformed directive or an unclosed fence, so a typo cannot silently skip a check. */
export function readCodeBlocks(document: string, markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index] ?? "";
    const directiveMatch = directivePattern.exec(text.trim());
    if (directiveMatch && !fencePattern.test(lines[index + 1] ?? "")) {
      throw new Error(`${document}:${index + 1}: a readme-test directive must be the line right before a code fence`);
    }
    const fence = fencePattern.exec(text);
    if (!fence) continue;
    const close = lines.findIndex((candidate, at) => at > index && candidate.trim() === fence[1]);
    if (close < 0) throw new Error(`${document}:${index + 1}: code fence never closed`);
    const previous = directivePattern.exec((lines[index - 1] ?? "").trim());
    blocks.push({
      document,
      line: index + 1,
      language: fence[2] ?? "",
      lines: lines.slice(index + 1, close),
      directive: previous ? parseDirective(previous[1] ?? "", `${document}:${index}`) : undefined,
    });
    index = close;
  }
  return blocks;
}

function parseDirective(text: string, where: string): Directive {
  const skip = /^skip:\s*(\S.*)$/.exec(text);
  if (skip) return { kind: "skip", reason: skip[1] ?? "" };
  const saveAs = /^save-as\s+([\w.-]+)$/.exec(text);
  if (saveAs) return { kind: "save-as", fileName: saveAs[1] ?? "" };
  throw new Error(`${where}: unknown readme-test directive "${text}" (expected "skip: REASON" or "save-as FILE")`);
}

/**
 * The commands of a shell block, one per line (a line ending in a backslash continues on the next);
 * blank lines and comment lines are left out. Heredocs are refused: every line must paste on its own.
 */
export function shellCommands(block: CodeBlock): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let pending: { lines: string[]; line: number } | undefined;
  block.lines.forEach((text, offset) => {
    const line = block.line + 1 + offset;
    if (text.includes("<<")) throw new Error(`${block.document}:${line}: heredocs are not supported; write one command per line`);
    if (pending === undefined) {
      const trimmed = text.trim();
      if (trimmed === "" || trimmed.startsWith("#")) return;
      pending = { lines: [], line };
    }
    pending.lines.push(text);
    if (text.trimEnd().endsWith("\\")) return;
    commands.push({ text: pending.lines.join("\n"), line: pending.line, skipReason: lineSkipPattern.exec(text)?.[1] });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`${block.document}:${pending.line}: the command's last line ends in a backslash`);
  return commands;
}

/** GitHub's anchors for a document's headings (outside code blocks): lower case, punctuation dropped, spaces as hyphens. */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (fencePattern.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (heading)
      anchors.add(
        (heading[1] ?? "")
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, "")
          .replace(/\s/g, "-"),
      );
  }
  return anchors;
}

/** The relative links of a document: `[text](target)` where target is no URL with a scheme. */
export function relativeLinks(markdown: string): string[] {
  const outsideCode = markdown.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1\s*$/gm, "").replace(/`[^`\n]*`/g, "");
  return [...outsideCode.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? "").filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
}
