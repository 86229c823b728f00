import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./signature.js";

const secret = "sS0m3-Secret_of-43-characters-base64url-xyz";
const body = '{"specversion":"1.0","id":"e-1","type":"platform.orders.order.confirmed"}';
const t = 1_767_225_600; // 2026-01-01T00:00:00Z

describe("webhook signatures", () => {
  it("verifies what it signed, at the signing time", () => {
    const header = signWebhook(secret, body, t);
    expect(header).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature({ secret, header, body, now: t })).toBe(true);
  });

  it("matches an HMAC-SHA256 of '<t>.<body>' computed independently", async () => {
    const { createHmac } = await import("node:crypto");
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(signWebhook(secret, body, t)).toBe(`t=${t},v1=${expected}`);
  });

  it("verifies a raw body given as bytes", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature({ secret, header, body: Buffer.from(body), now: t })).toBe(true);
  });

  it("accepts a timestamp within the tolerance either side, and refuses one outside it", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature({ secret, header, body, now: t + 300 })).toBe(true);
    expect(verifyWebhookSignature({ secret, header, body, now: t - 300 })).toBe(true);
    expect(verifyWebhookSignature({ secret, header, body, now: t + 301 })).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body, now: t + 20, toleranceSeconds: 10 })).toBe(false);
  });

  it("refuses a tampered body, another secret, and a replay with a new timestamp", () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature({ secret, header, body: body.replace("e-1", "e-2"), now: t })).toBe(false);
    expect(verifyWebhookSignature({ secret: `${secret}x`, header, body, now: t })).toBe(false);
    const restamped = header.replace(`t=${t}`, `t=${t + 1000}`);
    expect(verifyWebhookSignature({ secret, header: restamped, body, now: t + 1000 })).toBe(false);
  });

  it("refuses a flipped signature digit", () => {
    const header = signWebhook(secret, body, t);
    const last = header.at(-1) === "0" ? "1" : "0";
    expect(verifyWebhookSignature({ secret, header: header.slice(0, -1) + last, body, now: t })).toBe(false);
  });

  it("accepts any matching v1 among several (a rotating secret)", () => {
    const current = signWebhook(secret, body, t);
    const old = signWebhook("the old secret", body, t).split(",")[1];
    expect(verifyWebhookSignature({ secret, header: `${current},${old}`, body, now: t })).toBe(true);
    expect(verifyWebhookSignature({ secret, header: `t=${t},${old}`, body, now: t })).toBe(false);
  });

  it("reproduces the worked example in README.md", () => {
    const example = {
      secret: "3q2-7wAAAAC6vLq8ur26vbq8ur26vbq8ur26vbq8ur0",
      body: '{"specversion":"1.0","id":"7d1c3c1e-4f55-4d3b-9a37-5b0c1f0e2a11","type":"platform.orders.order.confirmed","data":{"order":{"id":"o-1"}}}',
      header: "t=1767225600,v1=de6a127c7e7101426c429d9a62d6b4d619518dc889180d6d59d9a0ae1053fec9",
    };
    expect(signWebhook(example.secret, example.body, 1_767_225_600)).toBe(example.header);
    expect(verifyWebhookSignature({ ...example, now: 1_767_225_600 + 60 })).toBe(true);
  });

  it.each([
    undefined,
    "",
    "garbage",
    `v1=${"a".repeat(64)}`,
    `t=${t}`,
    `t=${t},v1=short`,
    `t=soon,v1=${"a".repeat(64)}`,
  ])("refuses the malformed header %j", (header) => {
    expect(verifyWebhookSignature({ secret, header, body, now: t })).toBe(false);
  });
});
