import { describe, expect, it } from "vitest";
import { clientErrorReply, maxHeaderBytes, toJson } from "./http.js";

describe("toJson", () => {
  it("serializes a body without bigints as JSON.stringify does", () => {
    const product = {
      id: "p1",
      price: { amountMinor: 12999, currency: "EUR" },
      tags: ["a"],
      gone: undefined,
    };
    expect(toJson(product)).toBe(JSON.stringify(product));
  });

  it("sends int64 fields, which arrive as bigint, as numbers", () => {
    expect(toJson({ total: 12n, nested: [{ sequence: 9007199254740991n }] })).toBe(
      '{"total":12,"nested":[{"sequence":9007199254740991}]}',
    );
  });

  it("still fails on what JSON cannot hold, such as a cycle", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => toJson(cyclic)).toThrow(/circular/i);
  });
});

// Found by Schemathesis: a request head over the limit got Node's bare "431" with no body.
describe("clientErrorReply", () => {
  const error = (code: string) => Object.assign(new Error(code), { code });
  const bodyOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));

  it("answers a request head over the limit with a 431 problem document that says the limit", () => {
    const reply = clientErrorReply(error("HPE_HEADER_OVERFLOW"), "r-1")!;
    expect(reply.raw).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(reply.raw).toContain("Content-Type: application/problem+json\r\n");
    expect(reply.raw).toContain("Connection: close\r\n");
    expect(bodyOf(reply.raw)).toEqual({
      type: "/problems/headers-too-large",
      title: "The request line and headers are too large",
      status: 431,
      detail: `the request line and headers may be at most ${maxHeaderBytes} bytes; send long values in the body`,
      requestId: "r-1",
    });
  });

  it("answers what the parser cannot read with a 400 problem naming the parser's error", () => {
    const reply = clientErrorReply(error("HPE_INVALID_METHOD"), "r-2")!;
    expect([reply.status, bodyOf(reply.raw).type, bodyOf(reply.raw).detail]).toEqual([
      400,
      "/problems/bad-request",
      "the request is not valid HTTP/1.1 (HPE_INVALID_METHOD)",
    ]);
  });

  it("answers no one when the client has reset the connection", () => {
    expect(clientErrorReply(error("ECONNRESET"), "r-3")).toBeUndefined();
  });
});
