#!/usr/bin/env node
// The `palyra` command. It runs the TypeScript sources directly through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../src/cli/index.ts");
await runCli(process.argv);
