import { createHmac } from "node:crypto";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { HttpProblem } from "../problems.js";
import { type Jwks, JwtVerifier, type JwtVerifierOptions } from "./jwt.js";
import { refusalReason } from "./test-refusal.js";

const issuer = "https://identity.platform.local";
const audience = "platform-api";
const t0 = 1_800_000_000_000; // ms
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
let current: KeyPair;
let rotated: KeyPair;
let stranger: KeyPair;

beforeAll(async () => {
  const pair = () => generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  [current, rotated, stranger] = await Promise.all([pair(), pair(), pair()]);
});

const jwks = async (...keys: [string, KeyPair][]): Promise<Jwks> => ({
  jwksJson: JSON.stringify({
    keys: await Promise.all(
      keys.map(async ([kid, k]) => ({ ...(await exportJWK(k.publicKey)), kid, alg: "EdDSA", use: "sig" })),
    ),
  }),
  maxAgeSeconds: 300,
});

function setup(overrides: Partial<JwtVerifierOptions> = {}) {
  let now = t0;
  const revoked = new Set<string>();
  let fetches = 0;
  const verifier = new JwtVerifier({
    issuer,
    audience,
    clockToleranceSeconds: 5,
    cacheMaxTtlSeconds: 30,
    cacheSize: 100,
    unknownKeyRefetchSeconds: 10,
    fetchJwks: async () => {
      fetches++;
      return jwks(["k1", current]);
    },
    isRevoked: async (sid) => revoked.has(sid),
    revocationUnknown: "open",
    now: () => now,
    ...overrides,
  });
  return { verifier, revoked, fetches: () => fetches, advance: (ms: number) => (now += ms) };
}

function token(claims: JWTPayload = {}, options: { key?: KeyPair; kid?: string; alg?: string } = {}) {
  const iat = Math.floor(t0 / 1000);
  return new SignJWT({
    iss: issuer,
    aud: audience,
    sub: "u-1",
    roles: ["user"],
    sid: "s-1",
    iat,
    nbf: iat,
    exp: iat + 900,
    ...claims,
  })
    .setProtectedHeader({ alg: options.alg ?? "EdDSA", kid: options.kid ?? "k1", typ: "at+jwt" })
    .sign((options.key ?? current).privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("JWT verification", () => {
  it("accepts identity's EdDSA token and returns its principal", async () => {
    const { verifier } = setup();
    expect(await verifier.verify(await token({ roles: ["user", "admin"] }))).toEqual({
      userId: "u-1",
      roles: ["user", "admin"],
      method: "jwt",
    });
  });

  it('refuses alg "none" before looking up any key', async () => {
    const { verifier, fetches } = setup();
    const unsigned = `${b64({ alg: "none", kid: "k1" })}.${b64({ iss: issuer, aud: audience, sub: "admin", exp: 9e9 })}.`;
    expect(await refusalReason(verifier.verify(unsigned))).toBe("algorithm-not-allowed");
    expect(fetches()).toBe(0);
  });

  it("refuses HS256 signed with the public key as the secret (algorithm confusion)", async () => {
    const { verifier } = setup();
    const publicJwk = await exportJWK(current.publicKey);
    const signingInput = `${b64({ alg: "HS256", kid: "k1" })}.${b64({ iss: issuer, aud: audience, sub: "u-1", exp: 9e9 })}`;
    const mac = createHmac("sha256", Buffer.from(publicJwk.x!, "base64url"))
      .update(signingInput)
      .digest("base64url");
    expect(await refusalReason(verifier.verify(`${signingInput}.${mac}`))).toBe("algorithm-not-allowed");
  });

  it("refuses a token signed by another key under a published kid", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify(await token({}, { key: stranger })))).toBe("bad-signature");
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const { verifier } = setup();
    const [header, , signature] = (await token()).split(".");
    const forged = `${header}.${b64({ iss: issuer, aud: audience, sub: "u-1", roles: ["admin"], exp: 9e9 })}.${signature}`;
    expect(await refusalReason(verifier.verify(forged))).toBe("bad-signature");
  });

  it("refuses an expired token, beyond the clock tolerance", async () => {
    const { verifier } = setup();
    const iat = Math.floor(t0 / 1000) - 1000;
    expect(await refusalReason(verifier.verify(await token({ iat, nbf: iat, exp: iat + 994 })))).toBe(
      "token-expired",
    );
  });

  it("accepts a token expired by less than the clock tolerance", async () => {
    const { verifier } = setup();
    const iat = Math.floor(t0 / 1000) - 1000;
    await expect(verifier.verify(await token({ iat, nbf: iat, exp: iat + 997 }))).resolves.toMatchObject({
      userId: "u-1",
    });
  });

  it("refuses a token that is not valid yet (nbf)", async () => {
    const { verifier } = setup();
    const nbf = Math.floor(t0 / 1000) + 60;
    expect(await refusalReason(verifier.verify(await token({ nbf })))).toBe("token-not-yet-valid");
  });

  it("refuses a token for another audience", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify(await token({ aud: "another-api" })))).toBe("wrong-audience");
  });

  it("refuses a token from another issuer", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify(await token({ iss: "https://evil.example" })))).toBe(
      "wrong-issuer",
    );
  });

  it("refuses a token without exp", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify(await token({ exp: undefined })))).toBe("invalid-claims");
  });

  it("refuses garbage as malformed", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify("not.a.jwt"))).toBe("malformed-token");
    expect(await refusalReason(verifier.verify("abc"))).toBe("malformed-token");
  });

  it("refuses a token of a revoked session on a cache miss", async () => {
    const { verifier, revoked } = setup();
    revoked.add("s-1");
    expect(await refusalReason(verifier.verify(await token()))).toBe("session-revoked");
  });

  it("serves a verified token from the cache, and sees a revocation once the cache TTL passes", async () => {
    const { verifier, revoked, advance } = setup();
    const jwt = await token();
    await verifier.verify(jwt);
    revoked.add("s-1");
    await expect(verifier.verify(jwt)).resolves.toMatchObject({ userId: "u-1" }); // within the window
    advance(30_001);
    expect(await refusalReason(verifier.verify(jwt))).toBe("session-revoked");
  });

  it("does not cache a token it could not check for revocation (Redis down)", async () => {
    let answer: boolean | undefined;
    let unknown = 0;
    const { verifier } = setup({ isRevoked: async () => answer, onRevocationUnknown: () => unknown++ });
    const jwt = await token();
    await verifier.verify(jwt);
    answer = true;
    expect(await refusalReason(verifier.verify(jwt))).toBe("session-revoked");
    expect(unknown).toBe(1);
  });

  it("refuses a token whose revocation cannot be checked with 503 when the fail mode is closed", async () => {
    const { verifier } = setup({ isRevoked: async () => undefined, revocationUnknown: "closed" });
    const refusal = await verifier.verify(await token()).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(HttpProblem);
    expect([(refusal as HttpProblem).status, (refusal as HttpProblem).kind]).toEqual([
      503,
      "service-unavailable",
    ]);
  });

  it("keeps refusing a session it has seen revoked while revocation cannot be checked (open)", async () => {
    let answer: boolean | undefined = true;
    const { verifier } = setup({ isRevoked: async () => answer });
    const jwt = await token();
    expect(await refusalReason(verifier.verify(jwt))).toBe("session-revoked");
    answer = undefined;
    expect(await refusalReason(verifier.verify(jwt))).toBe("session-revoked");
    expect(await refusalReason(verifier.verify(await token({ jti: "another token" })))).toBe(
      "session-revoked",
    );
    await expect(verifier.verify(await token({ sid: "s-2" }))).resolves.toMatchObject({ userId: "u-1" });
  });

  it("never serves a cached token past its expiry", async () => {
    const { verifier, advance } = setup({ cacheMaxTtlSeconds: 3600, clockToleranceSeconds: 0 });
    const iat = Math.floor(t0 / 1000);
    const jwt = await token({ exp: iat + 10 });
    await verifier.verify(jwt);
    advance(11_000);
    expect(await refusalReason(verifier.verify(jwt))).toBe("token-expired");
  });
});

describe("the JWKS", () => {
  it("is fetched once and reused for every token", async () => {
    const { verifier, fetches } = setup();
    await verifier.verify(await token({ sub: "a" }));
    await verifier.verify(await token({ sub: "b" }));
    expect(fetches()).toBe(1);
  });

  it("is refetched for an unknown kid, which picks up a rotated key", async () => {
    let keys = [["k1", current]] as [string, KeyPair][];
    const { verifier } = setup({ fetchJwks: () => jwks(...keys) });
    await verifier.warm();
    keys = [
      ["k1", current],
      ["k2", rotated],
    ];
    await expect(verifier.verify(await token({}, { key: rotated, kid: "k2" }))).resolves.toMatchObject({
      userId: "u-1",
    });
  });

  it("is refetched for unknown kids at most once per cooldown", async () => {
    const { verifier, fetches, advance } = setup();
    await verifier.warm();
    expect(await refusalReason(verifier.verify(await token({ sub: "a" }, { kid: "nope" })))).toBe(
      "unknown-key",
    );
    expect(await refusalReason(verifier.verify(await token({ sub: "b" }, { kid: "nope" })))).toBe(
      "unknown-key",
    );
    expect(fetches()).toBe(2);
    advance(10_000);
    await refusalReason(verifier.verify(await token({ sub: "c" }, { kid: "nope" })));
    expect(fetches()).toBe(3);
  });

  it("is refreshed after its max age while the old keys keep serving", async () => {
    const { verifier, fetches, advance } = setup();
    await verifier.warm();
    advance(301_000);
    await verifier.verify(await token({ sub: "fresh" }));
    await new Promise((r) => setImmediate(r));
    expect(fetches()).toBe(2);
  });

  it("ignores keys that are not Ed25519 signing keys", async () => {
    const { verifier } = setup({
      fetchJwks: async () => ({
        jwksJson: JSON.stringify({ keys: [{ kty: "oct", kid: "k1", k: "c2VjcmV0" }] }),
        maxAgeSeconds: 60,
      }),
    });
    expect(await refusalReason(verifier.verify(await token()))).toBe("unknown-key");
  });

  it("lets identity being down surface as its own error, not as a bad token", async () => {
    const down = new Error("identity unavailable");
    const { verifier } = setup({ fetchJwks: () => Promise.reject(down) });
    await expect(verifier.verify(await token())).rejects.toBe(down);
  });
});
