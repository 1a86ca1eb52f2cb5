import { describe, expect, it } from "vitest";
import { EventChannel } from "../../src/runs/event-channel.js";

describe("EventChannel", () => {
  it("delivers items in order and ends after close", async () => {
    const channel = new EventChannel<number>();
    void (async () => {
      for (let i = 1; i <= 5; i++) await channel.push(i);
      channel.close();
    })();
    const seen: number[] = [];
    for await (const item of channel) seen.push(item);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
  });

  it("makes the producer wait while the consumer is behind", async () => {
    const channel = new EventChannel<number>(2);
    await channel.push(1);
    await channel.push(2);
    let thirdAccepted = false;
    const third = channel.push(3).then(() => (thirdAccepted = true));
    await Promise.resolve();
    expect(thirdAccepted).toBe(false);
    const iterator = channel[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(1);
    await third;
    expect(thirdAccepted).toBe(true);
  });

  it("releases a waiting producer when closed", async () => {
    const channel = new EventChannel<number>(1);
    await channel.push(1);
    const blocked = channel.push(2);
    channel.close();
    await expect(blocked).resolves.toBeUndefined();
    await channel.push(3);
    const seen: number[] = [];
    for await (const item of channel) seen.push(item);
    expect(seen).toEqual([1, 2]);
  });
});
