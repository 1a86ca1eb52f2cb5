import { type EventSourceMessage, EventSourceParserStream } from "eventsource-parser/stream";

export type SseEvent = Pick<EventSourceMessage, "event" | "data">;

/**
 * Parses an upstream's server-sent events as they arrive. Comments (": ping") are skipped, frames
 * and UTF-8 sequences split across network chunks are reassembled, and a body that ends in the
 * middle of an event drops the unfinished event (the caller decides whether the stream was complete).
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncIterable<SseEvent> {
  const events = body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  for await (const event of events as unknown as AsyncIterable<EventSourceMessage>) {
    yield { event: event.event, data: event.data };
  }
}
