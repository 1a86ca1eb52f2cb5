import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type RequestHandler, Router } from "express";

/**
 * The browser's libraries, served from the package's own node_modules (no CDN, nothing fetched at run
 * time), under the names index.html's import map gives them: ES module builds, loaded as they are.
 */
const vendorFiles: Record<string, [pkg: string, file: string]> = {
  "preact.mjs": ["preact", "dist/preact.module.js"],
  "preact-hooks.mjs": ["preact", "hooks/dist/hooks.module.js"],
  "htm.mjs": ["htm", "dist/htm.module.js"],
  "uplot.mjs": ["uplot", "dist/uPlot.esm.js"],
  "uplot.css": ["uplot", "dist/uPlot.min.css"],
};

/** The package's root: the nearest folder above this module with a package.json (src/ and dist/<build>/src/ alike). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("the console's files are not inside a package");
    dir = parent;
  }
  return dir;
}

/** A package's folder, found the way Node resolves it from the package root (its exports hide the files). */
function packageDir(root: string, pkg: string): string {
  let dir = dirname(createRequire(join(root, "package.json")).resolve(pkg));
  while (!existsSync(join(dir, "package.json")) || (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string }).name !== pkg) {
    dir = dirname(dir);
  }
  return dir;
}

/**
 * Serves the console: index.html at /console/ (with a Content-Security-Policy that admits only this
 * origin's scripts and the page's own import map, by its hash), the browser code of console/, and the
 * vendor files. Static files are revalidated on each load (no-cache), so an upgrade shows at once.
 */
export function staticFiles(): Router {
  const root = packageRoot();
  const consoleDir = join(root, "console");
  const indexHtml = readFileSync(join(consoleDir, "index.html"), "utf8");
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1] ?? "";
  const importMapHash = createHash("sha256").update(importMap).digest("base64");
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${importMapHash}'`,
    // uPlot and the progress bars size elements with style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join("; ");

  const router = Router();
  router.use(securityHeaders(policy));
  router.get("/", (req, res, next) => {
    // /console without the slash: the page's relative URLs need it.
    if (!req.originalUrl.split("?")[0]?.endsWith("/")) return res.redirect(301, "/console/");
    next();
  });
  router.get("/", (_req, res) => {
    res.set({ "content-type": "text/html; charset=utf-8", "cache-control": "no-cache" }).send(indexHtml);
  });
  for (const [name, [pkg, file]] of Object.entries(vendorFiles)) {
    const path = join(packageDir(root, pkg), file);
    router.get(`/vendor/${name}`, (_req, res, next) => res.sendFile(path, { headers: { "cache-control": "no-cache" } }, (error) => error && next(error)));
  }
  router.use(
    express.static(consoleDir, {
      index: false,
      redirect: false,
      dotfiles: "ignore",
      cacheControl: false,
      setHeaders: (res) => res.set("cache-control", "no-cache"),
    }),
  );
  return router;
}

function securityHeaders(policy: string): RequestHandler {
  return (_req, res, next) => {
    res.set({
      "content-security-policy": policy,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    });
    next();
  };
}
