import { type Kysely, SqliteAdapter, sql } from "kysely";

// Released migrations never change; add a new file instead.
// Agent memory journals: items (text, tags, expiry, where they came from), their embeddings per
// model, and on SQLite an FTS5 index over the text for lexical search (another dialect builds its
// own full-text index in its own migration; the query stays behind store/memory-search-repository.ts).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable("memory_items")
    // An integer key: the full-text index refers to items by it.
    .addColumn("item_key", "integer", (column) => column.primaryKey().autoIncrement())
    .addColumn("memory_id", "varchar(64)", (column) => column.notNull().unique())
    .addColumn("agent_id", "varchar(256)", (column) => column.notNull())
    .addColumn("session_id", "varchar(256)")
    // manual | import | run
    .addColumn("source", "varchar(16)", (column) => column.notNull())
    .addColumn("run_id", "varchar(64)")
    .addColumn("text", sql`text`, (column) => column.notNull())
    // sha256 of the text: an agent keeps one item per text.
    .addColumn("content_hash", "varchar(64)", (column) => column.notNull())
    // JSON array of tags.
    .addColumn("tags", sql`text`, (column) => column.notNull())
    .addColumn("bytes", "integer", (column) => column.notNull())
    .addColumn("expires_at", "bigint")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addUniqueConstraint("memory_items_agent_hash_unique", ["agent_id", "content_hash"])
    .execute();
  await db.schema.createIndex("memory_items_agent_idx").on("memory_items").columns(["agent_id", "created_at"]).execute();
  await db.schema.createIndex("memory_items_expiry_idx").on("memory_items").column("expires_at").execute();

  await db.schema
    .createTable("memory_vectors")
    .addColumn("memory_id", "varchar(64)", (column) => column.notNull())
    .addColumn("model_id", "varchar(128)", (column) => column.notNull())
    .addColumn("agent_id", "varchar(256)", (column) => column.notNull())
    .addColumn("dimensions", "integer", (column) => column.notNull())
    // Float32, little-endian, unit length.
    .addColumn("vector", "blob", (column) => column.notNull())
    .addColumn("embedded_at", "bigint", (column) => column.notNull())
    .addPrimaryKeyConstraint("memory_vectors_pk", ["memory_id", "model_id"])
    .execute();
  await db.schema.createIndex("memory_vectors_agent_idx").on("memory_vectors").columns(["agent_id", "model_id"]).execute();

  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    // External-content FTS5 over memory_items.text, kept in step by triggers.
    await sql`create virtual table memory_fts using fts5(text, content='memory_items', content_rowid='item_key', tokenize='unicode61')`.execute(db);
    await sql`create trigger memory_items_fts_insert after insert on memory_items begin
      insert into memory_fts(rowid, text) values (new.item_key, new.text);
    end`.execute(db);
    await sql`create trigger memory_items_fts_delete after delete on memory_items begin
      insert into memory_fts(memory_fts, rowid, text) values ('delete', old.item_key, old.text);
    end`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql`drop trigger if exists memory_items_fts_delete`.execute(db);
    await sql`drop trigger if exists memory_items_fts_insert`.execute(db);
    await sql`drop table if exists memory_fts`.execute(db);
  }
  await db.schema.dropTable("memory_vectors").execute();
  await db.schema.dropTable("memory_items").execute();
}
