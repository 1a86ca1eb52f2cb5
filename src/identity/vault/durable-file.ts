import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, linkSync, openSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/**
 * Writes `text` to a fresh temporary file beside `file` ("wx": never someone else's file), flushed
 * to disk before anything points at it. Returns the temporary file's path.
 */
function writeFlushedTemp(file: string, text: string, mode: number): string {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temp, "wx", mode);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  return temp;
}

/** Makes a rename or link durable; some platforms (Windows) cannot open a directory, and need not. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch {
    // Not supported for directories here; the rename itself is still atomic.
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `file` holding `text` unless it already exists; returns false when another process got
 * there first. The file appears whole (linked into place), so a concurrent reader never sees it
 * half-written, and an existing file is never overwritten.
 */
export function createFileOnce(file: string, text: string, mode: number): boolean {
  const temp = writeFlushedTemp(file, text, mode);
  try {
    linkSync(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  syncDirectory(dirname(file));
  return true;
}

/** Replaces `file` with `text` atomically: after a crash it holds either the old text or the new. */
export function replaceFile(file: string, text: string, mode: number): void {
  const temp = writeFlushedTemp(file, text, mode);
  try {
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  syncDirectory(dirname(file));
}
