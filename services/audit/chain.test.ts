import { describe, expect, it } from "vitest";
import { type ChainedFields, canonicalJson, chainHash, chainPreimage, genesisHash } from "./chain.js";

// The expected hashes were computed outside this code, with Python's hashlib and json.dumps
// (sort_keys, no whitespace), which agree with RFC 8785 for these values.
const first: ChainedFields = {
  sequence: "1",
  eventId: "7d0c7a2e-8a55-4f43-9d0e-2b1f3c4d5e6f",
  type: "platform.catalog.product.created",
  source: "/platform/catalog",
  subject: "product/p-1",
  entityType: "product",
  entityId: "p-1",
  actor: "u-admin",
  traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
  time: "2025-01-02T03:04:05.123456Z",
  recordedAt: "2025-01-02T03:04:06.000001Z",
  data: { product: { name: "Trail shoes", price_minor: 8999, id: "p-1" }, changed: ["name"] },
};
const firstHash = "c6b98004b01b603631bfe9da242088bb7d94e20c20464973a1e8cde97011fd74";
const second: ChainedFields = {
  sequence: "2",
  eventId: "0b4f5a8e-1c2d-4e3f-8a9b-0c1d2e3f4a5b",
  type: "platform.catalog.product.deleted",
  source: "/platform/catalog",
  subject: "product/p-1",
  entityType: "product",
  entityId: "p-1",
  actor: null,
  traceId: null,
  time: "2025-01-02T04:00:00.000000Z",
  recordedAt: "2025-01-02T04:00:00.250000Z",
  data: { product: null },
};

describe("canonical JSON (RFC 8785)", () => {
  it("writes the RFC's own example exactly", () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts members by UTF-16 code units, as the RFC's sorting example does", () => {
    const keys = ["\u20ac", "\r", "\ufb33", "1", "\ud83d\ude00", "\u0080", "\u00f6"];
    const order = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"];
    // Compared as text: a parsed object would move the integer-like key "1" first again.
    expect(canonicalJson(Object.fromEntries(keys.map((k) => [k, 0])))).toBe(
      `{${order.map((k) => `${JSON.stringify(k)}:0`).join(",")}}`,
    );
  });

  it("gives the same text for the same value whatever the key order", () => {
    expect(canonicalJson({ b: { y: 1, x: [2, { d: 0, c: 1 }] }, a: "" })).toBe(
      canonicalJson({ a: "", b: { x: [2, { c: 1, d: 0 }], y: 1 } }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it("writes -0 as 0 and refuses what JSON cannot hold", () => {
    expect(canonicalJson([-0])).toBe("[0]");
    expect(() => canonicalJson(Number.NaN)).toThrow(/not a JSON number/);
    expect(() => canonicalJson({ at: new Date(0) })).toThrow(/not a JSON value/);
    expect(() => canonicalJson(undefined)).toThrow(/not a JSON value/);
  });
});

describe("the chain hash", () => {
  it("hashes a fixed array: tag, previous hash, the fields in order", () => {
    expect(chainPreimage(genesisHash, first)).toBe(
      `["platform.audit.v1","${"0".repeat(64)}","1","7d0c7a2e-8a55-4f43-9d0e-2b1f3c4d5e6f",` +
        '"platform.catalog.product.created","/platform/catalog","product/p-1","product","p-1","u-admin",' +
        '"4bf92f3577b34da6a3ce929d0e0e4736","2025-01-02T03:04:05.123456Z","2025-01-02T03:04:06.000001Z",' +
        '{"changed":["name"],"product":{"id":"p-1","name":"Trail shoes","price_minor":8999}}]',
    );
  });

  it("matches the fixed vectors, the second chained to the first", () => {
    expect(chainHash(genesisHash, first)).toBe(firstHash);
    expect(chainHash(firstHash, second)).toBe(
      "f200dcac913501ffd65c4d098087cbf78989850d64ae8db881bfd4e94003d5c1",
    );
  });

  it("changes with any field and with the previous hash", () => {
    expect(chainHash(genesisHash, { ...first, data: { ...(first.data as object), changed: [] } })).not.toBe(
      firstHash,
    );
    expect(chainHash(genesisHash, { ...first, actor: null })).not.toBe(firstHash);
    expect(chainHash("f".repeat(64), first)).not.toBe(firstHash);
  });
});
