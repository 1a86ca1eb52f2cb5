import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { backupConfigFile, keptConfigBackups, listConfigBackups } from "../../src/config/config-backups.js";

describe("config backups", () => {
  it("copies the file beside itself, lists newest first and keeps only the newest few", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-backups-"));
    const file = join(dir, "palyra.toml");
    const made: string[] = [];
    for (let i = 0; i < keptConfigBackups + 2; i += 1) {
      writeFileSync(file, `version = 1 # ${i}\n`);
      made.push(backupConfigFile(file, new Date(Date.UTC(2026, 11, 2, 10, 0, i))));
    }
    const backups = listConfigBackups(file);
    expect(backups).toHaveLength(keptConfigBackups);
    expect(backups[0]?.path).toBe(made.at(-1));
    expect(readFileSync(backups[0]?.path ?? "", "utf8")).toContain(`# ${keptConfigBackups + 1}`);
    expect(backups.map((backup) => backup.path)).not.toContain(made[0]);
    expect(backups[0]?.takenAt.toISOString()).toBe("2026-12-02T10:00:06.000Z");
  });

  it("never overwrites a backup made in the same millisecond", () => {
    const dir = mkdtempSync(join(tmpdir(), "palyra-backups-"));
    const file = join(dir, "palyra.toml");
    const at = new Date(Date.UTC(2026, 11, 2));
    writeFileSync(file, "version = 1 # a\n");
    const first = backupConfigFile(file, at);
    writeFileSync(file, "version = 1 # b\n");
    const second = backupConfigFile(file, at);
    expect(second).not.toBe(first);
    expect(listConfigBackups(file).map((backup) => backup.path)).toEqual([second, first]);
  });
});
