import { describe, expect, it } from "vitest";
import { chainHash, genesisHash } from "./chain.js";
import type { StoredEvent } from "./store.js";
import { verifyChain } from "./verify.js";

/** A valid chain of `n` product events, sequences 10, 20, 30... (gaps are allowed). */
function chain(n: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let previousHash = genesisHash;
  for (let i = 1; i <= n; i++) {
    const fields = {
      sequence: String(i * 10),
      eventId: `e-${i}`,
      type: "platform.catalog.product.updated",
      source: "/platform/catalog",
      subject: "product/p-1",
      entityType: "product",
      entityId: "p-1",
      actor: "u-admin",
      traceId: null,
      time: "2025-01-02T03:04:05.000000Z",
      recordedAt: "2025-01-02T03:04:06.000000Z",
      data: { product: { id: "p-1", stock: i } },
    };
    const hash = chainHash(previousHash, fields);
    events.push({ ...fields, previousHash, hash });
    previousHash = hash;
  }
  return events;
}

async function* stream(events: StoredEvent[]) {
  yield* events;
}

describe("chain verification", () => {
  it("finds an untouched chain valid and counts every event", async () => {
    expect(await verifyChain(stream(chain(5)))).toEqual({
      valid: true,
      eventsChecked: 5,
      firstBreak: undefined,
    });
  });

  it("finds an empty chain valid", async () => {
    expect(await verifyChain(stream([]))).toMatchObject({ valid: true, eventsChecked: 0 });
  });

  it("reports a changed event as a hash mismatch at that event, and stops there", async () => {
    const events = chain(5);
    events[2] = { ...events[2]!, data: { product: { id: "p-1", stock: 999 } } };
    const verdict = await verifyChain(stream(events));
    expect(verdict).toMatchObject({ valid: false, eventsChecked: 3, firstBreak: { sequence: "30" } });
    expect(verdict.firstBreak?.reason).toMatch(/^hash mismatch/);
  });

  it("reports a removed event as a previous-hash mismatch at the event after it", async () => {
    const events = chain(5);
    events.splice(1, 1);
    const verdict = await verifyChain(stream(events));
    expect(verdict).toMatchObject({ valid: false, eventsChecked: 2, firstBreak: { sequence: "30" } });
    expect(verdict.firstBreak?.reason).toMatch(/^previous-hash mismatch/);
  });

  it("reports a rewritten event whose hash was recomputed at the event after it", async () => {
    const events = chain(3);
    const forged = { ...events[1]!, actor: "someone-else" };
    events[1] = { ...forged, hash: chainHash(forged.previousHash, forged) };
    const verdict = await verifyChain(stream(events));
    expect(verdict.firstBreak).toMatchObject({
      sequence: "30",
      reason: expect.stringMatching(/^previous-hash mismatch/),
    });
  });

  it("refuses a chain that does not start at the genesis value", async () => {
    const verdict = await verifyChain(stream(chain(3).slice(1)));
    expect(verdict.firstBreak).toMatchObject({
      sequence: "20",
      reason: expect.stringMatching(/^previous-hash mismatch/),
    });
  });

  it("stops when the caller gives up", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(verifyChain(stream(chain(2)), controller.signal)).rejects.toMatchObject({
      name: "AbortError",
    });
  });
});

describe("chain verification against the published head", () => {
  const published = (events: StoredEvent[], at: number) => ({
    sequence: events[at]!.sequence,
    hash: events[at]!.hash,
    publishedAt: "2025-01-02T04:00:00.000Z",
    publicKey: "",
    signature: "",
  });

  it("finds a chain that grew past its published head valid", async () => {
    const events = chain(5);
    expect(await verifyChain(stream(events), undefined, published(events, 2))).toMatchObject({ valid: true });
  });

  it("reports a chain rewritten consistently from an event before the head, at the head", async () => {
    const original = chain(5);
    const head = published(original, 3);
    // Every hash recomputed after the change: valid as a chain, not as the chain that was published.
    let previousHash = genesisHash;
    const rewritten = original.map((event, i) => {
      const fields = i === 1 ? { ...event, data: { product: { id: "p-1", stock: 999 } } } : event;
      const hash = chainHash(previousHash, { ...fields });
      const stored = { ...fields, previousHash, hash };
      previousHash = hash;
      return stored;
    });
    expect(await verifyChain(stream(rewritten))).toMatchObject({ valid: true });
    const verdict = await verifyChain(stream(rewritten), undefined, head);
    expect(verdict).toMatchObject({ valid: false, firstBreak: { sequence: "40" } });
    expect(verdict.firstBreak?.reason).toMatch(/^published-head mismatch/);
  });

  it("reports a chain cut back before its published head as missing the head", async () => {
    const events = chain(5);
    const verdict = await verifyChain(stream(events.slice(0, 3)), undefined, published(events, 4));
    expect(verdict).toMatchObject({ valid: false, eventsChecked: 3, firstBreak: { sequence: "50" } });
    expect(verdict.firstBreak?.reason).toMatch(/^published-head missing/);
  });
});
