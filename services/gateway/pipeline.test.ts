import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientIp } from "./pipeline.js";

const request = (forwarded?: string) =>
  ({
    socket: { remoteAddress: "10.0.0.9" },
    headers: forwarded === undefined ? {} : { "x-forwarded-for": forwarded },
  }) as unknown as IncomingMessage;

describe("the client address used as the anonymous rate-limit principal", () => {
  it("is the socket's address when no proxy is trusted, whatever X-Forwarded-For claims", () => {
    expect(clientIp(request("1.2.3.4"), 0)).toBe("10.0.0.9");
  });

  it("is the entry the last trusted proxy appended, not one the client forged", () => {
    // The client sent "6.6.6.6"; the edge appended the real 1.2.3.4, the ingress 172.16.0.5.
    expect(clientIp(request("6.6.6.6, 1.2.3.4, 172.16.0.5"), 2)).toBe("1.2.3.4");
  });

  it("falls back to the socket's address when the header is missing", () => {
    expect(clientIp(request(), 1)).toBe("10.0.0.9");
  });

  it("is the socket's address when the header has fewer entries than trusted proxies, not the client's first entry", () => {
    // Two proxies are trusted, but only one entry arrived: the client wrote it (or a proxy was
    // bypassed), so nothing in the header is vouched for.
    expect(clientIp(request("6.6.6.6"), 2)).toBe("10.0.0.9");
    expect(clientIp(request("6.6.6.6, 7.7.7.7"), 3)).toBe("10.0.0.9");
  });

  it("is the one entry a single trusted proxy appended", () => {
    expect(clientIp(request("1.2.3.4"), 1)).toBe("1.2.3.4");
  });
});
