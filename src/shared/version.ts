import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * The package version, read once from package.json so there is one source of truth. This module runs
 * from src/shared/ (through tsx) and from dist/src/shared/ (the compiled build), one directory deeper.
 */
export const gatewayVersion: string = readPackageVersion();

function readPackageVersion(): string {
  try {
    return (require("../../package.json") as { version: string }).version;
  } catch {
    return (require("../../../package.json") as { version: string }).version;
  }
}
