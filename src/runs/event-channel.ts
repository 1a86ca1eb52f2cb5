/**
 * A bounded single-consumer queue between a run (producer) and its caller (consumer). The producer
 * waits when the consumer falls behind, so a slow client slows the upstream read instead of
 * buffering the whole answer in memory. Closing drops waiting pushes, so a departed consumer never
 * blocks the run from recording its end.
 */
export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private closed = false;
  private wakeConsumer: (() => void) | undefined;
  private wakeProducer: (() => void) | undefined;

  constructor(private readonly capacity = 64) {}

  /** Adds an item; resolves once there is room (or at once if the channel was closed). */
  async push(item: T): Promise<void> {
    if (this.closed) return;
    this.buffer.push(item);
    this.wake("consumer");
    while (this.buffer.length > this.capacity && !this.closed) {
      await new Promise<void>((resolve) => (this.wakeProducer = resolve));
    }
  }

  /** Ends the stream after the buffered items. */
  close(): void {
    this.closed = true;
    this.wake("consumer");
    this.wake("producer");
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const item = this.buffer.shift();
      if (item !== undefined) {
        this.wake("producer");
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  private wake(side: "consumer" | "producer"): void {
    const wake = side === "consumer" ? this.wakeConsumer : this.wakeProducer;
    if (side === "consumer") this.wakeConsumer = undefined;
    else this.wakeProducer = undefined;
    wake?.();
  }
}
