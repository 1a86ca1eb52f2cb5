import { invalidRequest } from "../shared/errors.js";
import type { MemoryCursor } from "../store/memory-repository.js";

// A listing's next page starts after the last item shown: "<created_at>.<item_key>".

export function encodePageToken(cursor: MemoryCursor): string {
  return `${cursor.createdAt}.${cursor.itemKey}`;
}

export function decodePageToken(token: string): MemoryCursor | undefined {
  if (!token) return undefined;
  const match = /^(\d{1,16})\.(\d{1,16})$/.exec(token);
  if (!match) throw invalidRequest("page_token", "is not a token this daemon returned");
  return { createdAt: Number(match[1]), itemKey: Number(match[2]) };
}
