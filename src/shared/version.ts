import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * The package version, read once from package.json so there is one source of truth. This module runs
 * from src/shared/ (through tsx) and from dist/<build>/src/shared/ (the compiled build), so the
 * package.json is looked for upwards.
 */
export const gatewayVersion: string = readPackageVersion();

function readPackageVersion(): string {
  for (let up = "../../"; up.length <= 5 * 3; up += "../") {
    try {
      const manifest = require(`${up}package.json`) as { name?: string; version: string };
      if (manifest.name === "palyra-gateway") return manifest.version;
    } catch {
      // Not at this level.
    }
  }
  throw new Error("package.json of palyra-gateway not found above src/shared/version");
}
