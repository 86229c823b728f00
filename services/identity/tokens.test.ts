import { generateKeyPairSync } from "node:crypto";
import { decodeProtectedHeader, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { accessTokenClaims, signAccessToken } from "./tokens.js";

const policy = { issuer: "https://identity.test", audience: "platform-api", lifetimeSeconds: 900 };
const subject = { userId: "0b7c5bd4-8d0e-4c5e-9d5a-1f1f1f1f1f1f", roles: ["user"], sessionId: "s-1" };
const now = new Date("2026-01-02T03:04:05.678Z");

describe("access-token claims", () => {
  it("carry issuer, audience, subject, roles, session and a lifetime from now", () => {
    const claims = accessTokenClaims(subject, policy, now, "jti-1");
    const iat = Math.floor(now.getTime() / 1000);
    expect(claims).toEqual({
      iss: "https://identity.test",
      aud: "platform-api",
      sub: subject.userId,
      roles: ["user"],
      sid: "s-1",
      jti: "jti-1",
      iat,
      nbf: iat,
      exp: iat + 900,
    });
  });

  it("get a fresh jti each time", () => {
    expect(accessTokenClaims(subject, policy, now).jti).not.toBe(accessTokenClaims(subject, policy, now).jti);
  });

  it("are signed with EdDSA under the key's kid and verify with its public key", async () => {
    const { publicKey, privateKey } = generateKeyPairSync("ed25519");
    const claims = accessTokenClaims(subject, policy, new Date());
    const token = await signAccessToken(claims, { kid: "kid-1", privateKey });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "EdDSA", typ: "at+jwt", kid: "kid-1" });
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: ["EdDSA"],
      issuer: policy.issuer,
      audience: policy.audience,
    });
    expect(payload).toEqual(claims);
  });

  it("do not verify under another key", async () => {
    const token = await signAccessToken(accessTokenClaims(subject, policy, new Date()), {
      kid: "kid-1",
      privateKey: generateKeyPairSync("ed25519").privateKey,
    });
    await expect(jwtVerify(token, generateKeyPairSync("ed25519").publicKey)).rejects.toThrow();
  });
});
