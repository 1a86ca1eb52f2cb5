import { createHash, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../../src/store/tables.js";

/** Puts one memory item straight into the store (as Retain would), returning its id. */
export async function insertMemoryItem(
  db: Kysely<Database>,
  fields: { agentId: string; text: string; createdAt: number; expiresAt?: number | null },
): Promise<string> {
  const memoryId = `mem_${randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await db
    .insertInto("memory_items")
    .values({
      memory_id: memoryId,
      agent_id: fields.agentId,
      session_id: null,
      source: "manual",
      run_id: null,
      text: fields.text,
      content_hash: createHash("sha256").update(fields.text).digest("hex"),
      tags: "[]",
      bytes: Buffer.byteLength(fields.text),
      expires_at: fields.expiresAt ?? null,
      created_at: fields.createdAt,
    })
    .execute();
  return memoryId;
}

/** The ids of an agent's items, oldest first. */
export async function memoryIdsOf(db: Kysely<Database>, agentId: string): Promise<string[]> {
  const rows = await db.selectFrom("memory_items").select("memory_id").where("agent_id", "=", agentId).orderBy("created_at").orderBy("item_key").execute();
  return rows.map((row) => row.memory_id);
}
