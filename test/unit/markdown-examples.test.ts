import { describe, expect, it } from "vitest";
import { readCodeBlocks, shellCommands } from "../integration/support/markdown-examples.js";

describe("reading examples out of Markdown", () => {
  const markdown = [
    "<!-- readme-test: skip: needs a real key -->",
    "```sh",
    "npx palyra auth health",
    "```",
    "",
    "```sh",
    "# a comment line",
    "curl -sS --fail-with-body http://127.0.0.1:7143/v1/models \\",
    '  -H "Authorization: Bearer $TOKEN"',
    "npx palyra keys revoke KEY_ID   # readme-test: skip: KEY_ID is a placeholder",
    "```",
  ].join("\n");

  it("takes the directive from the line before a block, and one command per line with continuations", () => {
    const [marked, plain] = readCodeBlocks("x.md", markdown);
    expect(marked?.directive).toEqual({ kind: "skip", reason: "needs a real key" });
    expect(plain?.directive).toBeUndefined();
    const commands = plain ? shellCommands(plain) : [];
    expect(commands.map(({ line, skipReason }) => ({ line, skipReason }))).toEqual([
      { line: 8, skipReason: undefined },
      { line: 10, skipReason: "KEY_ID is a placeholder" },
    ]);
    expect(commands[0]?.text).toContain('\n  -H "Authorization: Bearer $TOKEN"');
  });

  it("refuses what would silently skip a check: an unknown directive, a stray one, a heredoc", () => {
    expect(() => readCodeBlocks("x.md", "<!-- readme-test: skipp: typo -->\n```sh\nls\n```")).toThrow(/unknown readme-test directive/);
    expect(() => readCodeBlocks("x.md", "<!-- readme-test: skip: why -->\n\n```sh\nls\n```")).toThrow(/right before a code fence/);
    const [heredoc] = readCodeBlocks("x.md", "```sh\ncat > a <<'EOF'\nx\nEOF\n```");
    expect(() => heredoc && shellCommands(heredoc)).toThrow(/heredocs/);
  });
});
