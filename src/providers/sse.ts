import { createParser, type EventSourceMessage } from "eventsource-parser";

export type SseEvent = Pick<EventSourceMessage, "event" | "data">;

/**
 * Parses an upstream's server-sent events as they arrive, from a Node stream of bytes. Comments
 * (": ping") are skipped, frames and UTF-8 sequences split across network chunks are reassembled,
 * and a body that ends in the middle of an event drops the unfinished event (the caller decides
 * whether the stream was complete).
 */
export async function* readSse(body: AsyncIterable<Uint8Array>): AsyncIterable<SseEvent> {
  const decoder = new TextDecoder();
  const parsed: SseEvent[] = [];
  const parser = createParser({ onEvent: ({ event, data }) => void parsed.push({ event, data }) });
  for await (const chunk of body) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    // Everything this chunk completed, in order, before the next chunk is read.
    for (let index = 0; index < parsed.length; index++) yield parsed[index] as SseEvent;
    parsed.length = 0;
  }
}
