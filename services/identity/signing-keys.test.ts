import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseKeyEncryptionKey } from "../runtime/sealing.js";
import {
  activeKey,
  generateSigningKey,
  jwksDocument,
  publishedKeys,
  recheckMs,
  rotationDue,
  type SigningKeyRecord,
} from "./signing-keys.js";

const minute = 60_000;
const day = 24 * 60 * minute;
const policy = { rotationMs: 30 * day, publishAheadMs: 5 * minute, tokenLifetimeMs: 15 * minute };
const t0 = new Date("2026-01-01T00:00:00Z").getTime();
const at = (ms: number) => new Date(t0 + ms);

const key = (kid: string, createdMs: number, activatesMs = createdMs): SigningKeyRecord => ({
  kid,
  publicJwk: { kty: "OKP", crv: "Ed25519", x: kid },
  sealedPrivateKey: Buffer.alloc(0),
  createdAt: at(createdMs),
  activatesAt: at(activatesMs),
});

// k1 signs from t0; at 30 days k2 is created, published at once, signing 5 minutes later.
const k1 = key("k1", 0);
const k2 = key("k2", 30 * day, 30 * day + 5 * minute);

describe("signing-key rotation", () => {
  it("is due with no key at all, and when the newest key reaches the rotation age", () => {
    expect(rotationDue([], at(0), policy)).toBe(true);
    expect(rotationDue([k1], at(30 * day - 1), policy)).toBe(false);
    expect(rotationDue([k1], at(30 * day), policy)).toBe(true);
  });

  it("is not due again while the successor is waiting to sign", () => {
    expect(rotationDue([k1, k2], at(30 * day + minute), policy)).toBe(false);
  });

  it("keeps signing with the old key until the new one activates", () => {
    expect(activeKey([k1, k2], at(30 * day + 5 * minute - 1))?.kid).toBe("k1");
    expect(activeKey([k2, k1], at(30 * day + 5 * minute))?.kid).toBe("k2");
  });

  it("publishes the successor before it signs", () => {
    const kids = publishedKeys([k1, k2], at(30 * day), policy).map((k) => k.kid);
    expect(kids).toEqual(["k1", "k2"]);
  });

  it("keeps a superseded key published until the tokens it signed have expired", () => {
    const supersededAt = 30 * day + 5 * minute;
    const lastNeeded = supersededAt + policy.tokenLifetimeMs + recheckMs - 1;
    expect(publishedKeys([k1, k2], at(lastNeeded), policy).map((k) => k.kid)).toEqual(["k1", "k2"]);
    expect(publishedKeys([k1, k2], at(lastNeeded + 1), policy).map((k) => k.kid)).toEqual(["k2"]);
  });

  it("writes a JWKS of Ed25519 public keys, newest first, with nothing private", async () => {
    const kek = parseKeyEncryptionKey(randomBytes(32).toString("base64"))!;
    const real = await generateSigningKey(kek, at(0), at(0));
    const { keys } = jwksDocument([real, k2]);
    expect(keys.map((k) => k.kid)).toEqual(["k2", real.kid]);
    expect(keys[1]).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: real.publicJwk.x,
      kid: real.kid,
      alg: "EdDSA",
      use: "sig",
    });
    expect(real.kid).toMatch(/^[A-Za-z0-9_-]{43}$/); // the RFC 7638 thumbprint
  });
});
