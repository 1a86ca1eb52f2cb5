// The layer rule of ARCHITECTURE.md, checked by `npm run check:deps` (part of `npm test`).
//
// Imports point one way: a module may import its own layer and the layers below it, never one above.
// The layers, top to bottom (the order is the whole rule; edit it here and in ARCHITECTURE.md together):
const layers = [
  // The `palyra` command and the composition root; main.ts may import anything, and `palyra daemon` starts it.
  // daemon/ holds pieces of the daemon's composition main.ts delegates to (the live config reload).
  { name: "cli", path: "^src/(cli/|daemon/|main[.]ts$)" },
  { name: "http", path: "^src/http/" },
  { name: "rpc", path: "^src/rpc/" },
  // diagnostics reads the run engine's and automation's state, so it sits above both.
  { name: "diagnostics", path: "^src/diagnostics/" },
  // Scheduled jobs, the task queue and the watchdog start and watch runs through the engine.
  { name: "automation", path: "^src/automation/" },
  // Agent memory journals: retained, searched (query embeddings through the run engine), fed by run capture,
  // and the work of their system jobs (maintenance, embeddings backfill), which automation schedules.
  { name: "memory", path: "^src/memory/" },
  { name: "runs", path: "^src/runs/" },
  { name: "governance", path: "^src/governance/" },
  { name: "registry", path: "^src/registry/" },
  { name: "providers", path: "^src/providers/" },
  { name: "identity", path: "^src/identity/" },
  { name: "store", path: "^src/store/" },
  { name: "config", path: "^src/config/" },
  { name: "shared", path: "^src/shared/" },
];

// shared/ may name the config's types (a provider kind, a budget's shape): schema.ts is the one file it may import.
// The parser that understands TypeScript 7 projects here (swc, see options) does not mark `import type`, so the
// "types only" half of that exception is held by test/unit/dependency-rule.test.ts.
const sharedMayImport = "^src/config/schema[.]ts$";

// The protobuf messages are the transport's representation; the core below rpc never sees them.
const generatedCodeUsers = "^src/(cli|http|rpc)/";

const upwardImportRules = layers.slice(1).map((layer, index) => ({
  name: `${layer.name}-imports-upward`,
  severity: "error",
  comment: `${layer.name} may import only itself and the layers below it (${layers
    .slice(index + 2)
    .map((below) => below.name)
    .join(", ")}).`,
  from: { path: layer.path },
  to: {
    path: layers
      .slice(0, index + 1)
      .map((above) => `(${above.path})`)
      .join("|"),
    ...(layer.name === "shared" ? { pathNot: sharedMayImport } : {}),
  },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upwardImportRules,
    {
      name: "outside-the-layers",
      severity: "error",
      comment: "Every module under src/ belongs to a layer; a new top-level folder gets its place in `layers` first.",
      from: { path: "^src/", pathNot: layers.map((layer) => `(${layer.path})`).join("|") },
      to: {},
    },
    {
      name: "generated-code-outside-transport",
      severity: "error",
      comment: "gen/ (protobuf messages and clients) is for cli, http and rpc only; the core speaks its own types.",
      from: { path: "^src/", pathNot: generatedCodeUsers },
      to: { path: "^gen/" },
    },
    {
      name: "folder-cycle",
      severity: "error",
      comment: "Folders import each other one way; a cycle between two folders means one of them holds the wrong piece.",
      // The one allowed upward import (shared -> config/schema.ts) makes config and shared a folder cycle by
      // construction, and dependency-cruiser applies no `via` filter at folder scope; so the two are left out here.
      // config-imports-upward and shared-imports-upward keep both one-way, and module-cycle below catches a cycle of
      // modules inside them; only a cycle between shared/ and its own subfolders that is no module cycle goes unseen.
      from: { path: "^src/", pathNot: "^src/(config|shared)(/|$)" },
      to: { circular: true, pathNot: "^src/(config|shared)(/|$)" },
      scope: "folder",
    },
    {
      name: "module-cycle",
      severity: "error",
      comment: "Modules import each other one way, inside a folder too; a cycle makes load order and tests fragile.",
      // Cycles through config/schema.ts are the allowed shared -> schema.ts type import again (see folder-cycle).
      from: { path: "^src/" },
      to: { circular: true, viaOnly: { pathNot: "^src/config/schema[.]ts$" } },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript compiler API for dependency-cruiser to load; swc parses the sources instead.
    parser: "swc",
    includeOnly: "^(src|gen)/",
    doNotFollow: { path: "node_modules" },
    // Sources import "./x.js" and the file is x.ts (NodeNext resolution): dependency-cruiser maps the one to the other.
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
    cache: false,
    // Only what the rules above need: no metrics, no orphan or reachability analysis.
    skipAnalysisNotInRules: true,
  },
};
