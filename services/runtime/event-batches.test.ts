import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { messageBatches } from "./event-batches.js";

/** An object-mode stream the test pushes into, as the Kafka client pushes fetched messages. */
const source = () => new Readable({ objectMode: true, highWaterMark: 1024, read() {} });

describe("messageBatches", () => {
  it("hands over what is buffered as one batch, in order, up to the limit", async () => {
    const stream = source();
    for (let i = 1; i <= 7; i++) stream.push(i);
    stream.push(null);
    const batches: number[][] = [];
    for await (const batch of messageBatches<number>(stream, { maxMessages: 3, lingerMs: 0 }))
      batches.push(batch);
    expect(batches).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("does not wait for a full batch without a linger: a lone message goes at once", async () => {
    const stream = source();
    const batches = messageBatches<string>(stream, { maxMessages: 100, lingerMs: 0 });
    stream.push("alone");
    const started = Date.now();
    const first = await batches.next();
    expect(first.value).toEqual(["alone"]);
    expect(Date.now() - started).toBeLessThan(1_000);
    stream.push(null);
    expect((await batches.next()).done).toBe(true);
  });

  it("with a linger, collects messages that arrive within it into the same batch", async () => {
    const stream = source();
    const batches = messageBatches<number>(stream, { maxMessages: 100, lingerMs: 300 });
    const next = batches.next();
    stream.push(1);
    await sleep(20);
    stream.push(2);
    await sleep(20);
    stream.push(3);
    expect((await next).value).toEqual([1, 2, 3]);
    stream.push(null);
    expect((await batches.next()).done).toBe(true);
  });

  it("waits for the next message when the buffer is empty, and ends with the stream", async () => {
    const stream = source();
    const batches = messageBatches<number>(stream, { maxMessages: 10, lingerMs: 0 });
    const next = batches.next();
    setTimeout(() => stream.push(42), 30);
    expect((await next).value).toEqual([42]);
    const end = batches.next();
    stream.push(null);
    expect((await end).done).toBe(true);
  });
});
