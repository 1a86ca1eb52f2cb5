import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, it } from "vitest";
import { loadConfig } from "../../src/config/load-config.js";
import { type CodeBlock, headingAnchors, readCodeBlocks, relativeLinks, type ShellCommand, shellCommands } from "./support/markdown-examples.js";
import { cleanEnv, runPalyra, startDaemon } from "./support/palyra-process.js";
import { describeFailure, localise, runShell, type Session, writeShims } from "./support/readme-session.js";

// The README and docs/*.md, tried as a reader tries them. Every ```sh block runs line by line through
// `bash -c` against a real daemon on the default config; every ```toml block must pass the config
// check; every ```js block must be saved as a file a shell line runs (or be skipped). A block that
// fails and is not marked fails this test, so the documents cannot drift from the code.
//
// Marking, in the Markdown itself:
//   <!-- readme-test: skip: REASON -->   on the line before a block: not run (an external host, a real
//                                         key, a placeholder id, a config the test does not start with)
//   <!-- readme-test: save-as FILE -->    on the line before a block: written to FILE in the folder the
//                                         commands run in, as the text asks the reader to save it
//   COMMAND   # readme-test: skip: REASON   one line only
// Recognised without a mark: `npm ci`, `npm start`, `npm test`, `npm run bench` (the harness that runs
// this very test, or the daemon it starts itself), and `palyra daemon` (long-running: same).
//
// The situation the examples assume, rebuilt in a temporary folder:
// - the commands' folder `work/` stands for the repository root: `work/.palyra` is the daemon's state
//   directory (so `cat .palyra/admin-token` and the CLI's daemon.json lookup work as written) and
//   `work/node_modules` links to the checkout's (so `node hello.mjs` finds `openai`);
// - the daemon runs from an empty folder with `--state-dir work/.palyra`, so a palyra.toml the examples
//   save in work/ is checked by `palyra config check` but never loaded: the daemon keeps the embedded
//   defaults, and never contacts a real provider;
// - it binds port 0, not 7142/7143 (which another daemon may hold), and the README's fixed addresses
//   127.0.0.1:7142 and :7143 in a command are replaced with the bound ones before it runs. A command
//   that names those ports any other way fails rather than reach a daemon that is not the test's;
// - `npx` on PATH is a stand-in that runs the checkout's own `palyra` and node_modules/.bin tools:
//   the real npx outside a project would look the name up in the npm registry, and costs about a
//   second of CPU per call, which over some 30 lines would blow the time budget on a 2-core machine.
//   One case below checks that the real npx finds `palyra` from a subfolder of the checkout.
// - TOKEN is exported (the README's `export` does not outlive its own `bash -c`), OPENAI_API_KEY holds
//   a dummy (examples only store it; any that send it somewhere are marked skip), and
//   /tmp/palyra-test.wav becomes a file of this run, so concurrent runs do not share it.
//
// Blocks run up to vitest's maxConcurrency (5) at a time, the lines of a block in order: a block must
// stand on its own, given the daemon and TOKEN. Cost is CPU, nearly all of it starting `palyra`
// (about a second per line): keep the documents' runnable lines to what teaches something.

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const documents = [
  "README.md",
  ...readdirSync(join(repoRoot, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];
const sources = new Map(documents.map((document) => [document, readFileSync(join(repoRoot, document), "utf8")]));
const blocks = documents.flatMap((document) => readCodeBlocks(document, sources.get(document) ?? ""));

const harnessCommand = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*npm\s+(?:ci|start|test|run\s+bench)(?:\s|$)/;
const daemonCommand = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npx\s+)?(?:palyra|node\s+\S*bin\/palyra\.js)\s+daemon(?:\s|$)/;
const shellLanguages = new Set(["sh"]);
const otherShellLanguages = new Set(["bash", "shell", "console", "zsh", "shell-session"]);
const scriptLanguages = new Set(["js", "javascript", "mjs"]);
const blockTimeoutMs = 120_000;

let session: Session | undefined;

function currentSession(): Session {
  if (!session) throw new Error("the daemon did not start (see beforeAll)");
  return session;
}

/** Why the test leaves a command alone, or undefined when it runs it. */
function skipReason(command: ShellCommand): string | undefined {
  const text = command.text.trim();
  if (command.skipReason) return command.skipReason;
  if (harnessCommand.test(text)) return "npm ci / start / test / run bench: the harness this test runs in, or the daemon it starts itself";
  if (daemonCommand.test(text)) return "palyra daemon runs until stopped; the test starts the daemon itself";
  return undefined;
}

/** Writing mistakes the run might not catch: optional flags in brackets, and curl that hides HTTP errors. */
function styleProblem(command: string): string | undefined {
  if (/\s\[-/.test(command)) return "optional flags in [brackets] do not paste; show the variants on their own lines or in prose";
  if (/(?:^|[|;&]\s*)curl\s/.test(command) && !/--fail(-with-body)?\b|\s-[A-Za-z]*f[A-Za-z]*\s/.test(command)) {
    return "curl without --fail-with-body exits 0 on an HTTP error";
  }
  return undefined;
}

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), "palyra-readme-"));
  const work = join(root, "work");
  const daemonHome = join(root, "daemon-home");
  const binDir = join(root, "bin");
  for (const dir of [work, daemonHome, binDir]) mkdirSync(dir);
  symlinkSync(join(repoRoot, "node_modules"), join(work, "node_modules"));
  writeShims(binDir, repoRoot);

  const { daemon, ready } = await startDaemon(["--state-dir", join(work, ".palyra")], {
    cwd: daemonHome,
    env: cleanEnv({ PALYRA_GRPC_BIND: "127.0.0.1:0", PALYRA_HTTP_BIND: "127.0.0.1:0" }),
  });
  const env = cleanEnv({
    TOKEN: readFileSync(join(work, ".palyra", "admin-token"), "utf8").trim(),
    OPENAI_API_KEY: "sk-readme-test-dummy",
    PATH: [binDir, process.env.PATH ?? ""].join(delimiter),
  });
  // The developer's own provider keys must not reach an example.
  for (const name of ["ANTHROPIC_API_KEY", "GROQ_API_KEY", "OPENAI_BASE_URL"]) delete env[name];
  session = { root, work, env, ready, daemon };

  for (const block of blocks) {
    if (block.directive?.kind === "save-as") writeFileSync(join(work, block.directive.fileName), localise(`${block.lines.join("\n")}\n`, session));
  }
}, 60_000);

afterAll(async () => {
  if (!session) return;
  if (session.daemon.running) {
    session.daemon.child.kill("SIGTERM");
    await session.daemon.exited;
  }
  rmSync(session.root, { recursive: true, force: true });
});

// Concurrent as a whole: a plain test between concurrent ones would make them wait for each other.
describe.concurrent("the examples in README.md and docs/", () => {
  it("are found: shell, config and script blocks in every document", ({ expect }) => {
    for (const document of documents) expect(blocks.filter((block) => block.document === document).length, document).toBeGreaterThan(0);
    const runnable = blocks.filter((block) => shellLanguages.has(block.language) && block.directive === undefined).flatMap(shellCommands);
    expect(runnable.filter((command) => skipReason(command) === undefined).length).toBeGreaterThan(20);
    expect(blocks.some((block) => block.language === "toml" && block.directive?.kind === "save-as")).toBe(true);
  });

  it("link only to files and headings that exist", ({ expect }) => {
    const broken: string[] = [];
    for (const [document, markdown] of sources) {
      for (const link of relativeLinks(markdown)) {
        const [path = "", anchor] = link.split("#");
        const target = path === "" ? document : join(dirname(document), path);
        if (!existsSync(join(repoRoot, target))) broken.push(`${document}: ${link} (no ${target})`);
        else if (anchor !== undefined && !headingAnchors(sources.get(target) ?? readFileSync(join(repoRoot, target), "utf8")).has(anchor)) {
          broken.push(`${document}: ${link} (no heading #${anchor} in ${target})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it("use `npx palyra`, which the real npx resolves to this checkout's bin from any folder of it", async ({ expect }) => {
    // The one real npx call (see the header); offline, so a mistake can never fetch a package named palyra.
    const result = await runShell(`cd "${join(repoRoot, "src", "cli")}" && npx palyra --version`, {
      ...currentSession(),
      env: { ...currentSession().env, PATH: process.env.PATH, npm_config_offline: "true", npm_config_update_notifier: "false" },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  for (const block of blocks) {
    const where = `${block.document}:${block.line}`;
    if (block.directive?.kind === "skip") {
      it.skip(`${where} (${block.language}): ${block.directive.reason}`, () => {});
      continue;
    }
    if (otherShellLanguages.has(block.language)) {
      it(`${where}: is a shell block marked \`\`\`sh`, () => {
        throw new Error(`${where}: write \`\`\`sh, the language this test runs, not \`\`\`${block.language}`);
      });
    } else if (shellLanguages.has(block.language)) {
      defineShellBlock(block, where);
    } else if (block.language === "toml") {
      defineConfigBlock(block, where);
    } else if (scriptLanguages.has(block.language)) {
      it(`${where}: is saved for a shell line to run, or marked skip`, ({ expect }) => {
        expect(block.directive?.kind, `${where}: mark the script <!-- readme-test: save-as FILE --> (or skip: REASON)`).toBe("save-as");
      });
    }
  }
});

function defineShellBlock(block: CodeBlock, where: string): void {
  if (block.directive?.kind === "save-as") throw new Error(`${where}: a shell block cannot be saved as a file`);
  const commands = shellCommands(block);
  const runnable = commands.filter((command) => skipReason(command) === undefined);
  if (runnable.length === 0) {
    const reasons = [...new Set(commands.map(skipReason))].join("; ");
    it.skip(`${where} (sh): ${reasons || "no commands"}`, () => {});
    return;
  }
  const first = runnable[0]?.text.split("\n")[0] ?? "";
  it(
    `${where} (sh, ${runnable.length} of ${commands.length} lines): ${first}`,
    async () => {
      const current = currentSession();
      // Every line runs (in order) and every failure is reported, so one run shows all there is to fix.
      const failures: string[] = [];
      for (const command of runnable) {
        const failure = await tryCommand(block, command, current);
        if (failure) failures.push(failure);
      }
      if (failures.length > 0) {
        const hint = 'Fix the example, or mark it: <!-- readme-test: skip: REASON --> before the block, or "# readme-test: skip: REASON" after the line.';
        throw new Error(`${failures.join("\n\n")}\n\n${hint}`);
      }
    },
    blockTimeoutMs,
  );
}

/** Runs one command as a reader would; a description of what went wrong, or undefined. */
async function tryCommand(block: CodeBlock, command: ShellCommand, current: Session): Promise<string | undefined> {
  const problem = styleProblem(command.text);
  if (problem) return describeFailure(block, command, problem);
  let localised: string;
  try {
    localised = localise(command.text, current);
  } catch (error) {
    return describeFailure(block, command, (error as Error).message);
  }
  const result = await runShell(localised, current);
  if (result.code !== 0) return describeFailure(block, command, "exited non-zero", result);
  if (/^palyra: /m.test(result.stderr)) return describeFailure(block, command, 'printed a "palyra: " error', result);
  return undefined;
}

function defineConfigBlock(block: CodeBlock, where: string): void {
  const text = `${block.lines.join("\n")}\n`;
  if (/^version\s*=/m.test(text)) {
    // A complete config: checked by the real `palyra config check`, as the README tells the reader.
    it(
      `${where} (toml): palyra config check accepts it`,
      async ({ expect }) => {
        const dir = mkdtempSync(join(currentSession().root, "config-"));
        writeFileSync(join(dir, "palyra.toml"), text);
        const result = await runPalyra(["config", "check", "--config", "palyra.toml"], { cwd: dir, env: cleanEnv() });
        expect(result.stderr, where).toBe("");
        expect(result.code, where).toBe(0);
        expect(result.stdout).toMatch(/^ok: /);
      },
      blockTimeoutMs,
    );
    return;
  }
  // A fragment: appended to the README's sample config, it must still load. In process (the loader
  // `config check` calls), since spawning a CLI per fragment costs more than the check itself.
  it(`${where} (toml fragment): loads when added to the sample palyra.toml`, ({ expect }) => {
    const sample = blocks.find((candidate) => candidate.language === "toml" && candidate.directive?.kind === "save-as");
    if (!sample) throw new Error("no sample config (a toml block marked <!-- readme-test: save-as palyra.toml -->) to add fragments to");
    const dir = mkdtempSync(join(currentSession().root, "fragment-"));
    const file = join(dir, "palyra.toml");
    writeFileSync(file, `${sample.lines.join("\n")}\n\n${text}`);
    expect(() => loadConfig({ path: file, stateDir: resolve(dir, ".palyra"), env: {} }), where).not.toThrow();
  });
}
