import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The package version, read once from package.json so there is one source of truth. */
export const gatewayVersion: string = (require("../../package.json") as { version: string }).version;
