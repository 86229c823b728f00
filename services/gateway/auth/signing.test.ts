import { describe, expect, it } from "vitest";
import { paths } from "../openapi.js";
import {
  canonicalPath,
  canonicalQuery,
  canonicalString,
  type NonceStore,
  SignatureVerifier,
  type SigningKey,
  signedHeaders,
  signRequest,
} from "./signing.js";
import { refusalReason } from "./test-refusal.js";

const key: SigningKey = {
  keyId: "ak_3q2-7wAAAAAAAAAAAAAAAA",
  userId: "u-7",
  roles: ["user"],
  signingKey: "c2lnbmluZy1rZXktZm9yLXRoZS1yZWFkbWUtZXhhbXBsZQ",
};
const t0 = 1_767_225_600; // 2026-01-01T00:00:00Z

function memoryNonces(): NonceStore & { seen: Set<string> } {
  const seen = new Set<string>();
  return { seen, claim: async (n) => !seen.has(n) && !!seen.add(n) };
}

function setup(
  options: {
    now?: number;
    keyCacheSize?: number;
    fetchKey?: (id: string) => Promise<SigningKey | undefined>;
  } = {},
) {
  let fetches = 0;
  const nonces = memoryNonces();
  const verifier = new SignatureVerifier({
    maxSkewSeconds: 300,
    keyCacheSeconds: 60,
    keyCacheSize: options.keyCacheSize ?? 100,
    nonces,
    now: () => (options.now ?? t0) * 1000,
    fetchKey: async (id) => {
      fetches++;
      return options.fetchKey ? options.fetchKey(id) : id === key.keyId ? key : undefined;
    },
  });
  return { verifier, nonces, fetches: () => fetches };
}

const lower = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));

function signed(
  over: {
    method?: string;
    target?: string;
    body?: string;
    timestamp?: number;
    nonce?: string;
    idempotencyKey?: string;
  } = {},
) {
  const request = { method: "POST", target: "/v1/orders", body: '{"lines":[]}', timestamp: t0, ...over };
  return {
    ...request,
    headers: lower(signRequest({ ...request, keyId: key.keyId, signingKey: key.signingKey })),
  };
}

describe("canonicalisation", () => {
  it("sorts query parameters by name, then value, and encodes them per RFC 3986", () => {
    expect(canonicalQuery("q=red+shoes&category=a%2Fb&limit=20&b=2&b=1&flag")).toBe(
      "b=1&b=2&category=a%2Fb&flag=&limit=20&q=red%20shoes",
    );
  });

  it("gives one form for equivalent encodings of the same query", () => {
    expect(canonicalQuery("name=%7Eanna&x=%21")).toBe(canonicalQuery("x=!&name=~anna"));
  });

  it("re-encodes path segments but keeps an encoded slash inside a segment", () => {
    expect(canonicalPath("/v1/audit/entities/order/a%2Fb")).toBe("/v1/audit/entities/order/a%2Fb");
    expect(canonicalPath("/v1/products/%7Ex y")).toBe("/v1/products/~x%20y");
  });

  it("joins method, path, query, timestamp, nonce, Idempotency-Key and the body's SHA-256, one per line", () => {
    expect(
      canonicalString({
        method: "get",
        target: "/v1/products?limit=2&cursor=",
        timestamp: "1767225600",
      }).split("\n"),
    ).toEqual([
      "GET",
      "/v1/products",
      "cursor=&limit=2",
      "1767225600",
      "",
      "",
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]);
  });

  it("produces the README's worked example", () => {
    const headers = signRequest({
      keyId: key.keyId,
      signingKey: key.signingKey,
      method: "POST",
      target: "/v1/orders?dryRun=false",
      body: '{"lines":[{"productId":"0b6d4f8e-3c57-4a8a-9a57-2b1f3c9d7e10","quantity":2}]}',
      timestamp: t0,
      nonce: "n-0001-abcdef",
      idempotencyKey: "5f0c2a8e-6d1b-4c3e-9a7f-2b8d4e6f1a3c",
    });
    expect(headers).toEqual({
      "X-Api-Key-Id": "ak_3q2-7wAAAAAAAAAAAAAAAA",
      "X-Signature-Timestamp": "1767225600",
      "X-Signature-Nonce": "n-0001-abcdef",
      "Idempotency-Key": "5f0c2a8e-6d1b-4c3e-9a7f-2b8d4e6f1a3c",
      "X-Signature": "wOdRxe3cE-VODJN4PJEXh0_LUHKPWeEwN3Lr-5J0pdw", // also computed with Python hmac, see README
    });
  });
});

describe("signed request verification", () => {
  it("accepts a correctly signed request and returns the key's principal", async () => {
    const { verifier } = setup();
    expect(await verifier.verify(signed())).toEqual({
      userId: "u-7",
      roles: ["user"],
      method: "api_key",
    });
  });

  it("refuses a request whose body changed after signing", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify({ ...signed(), body: '{"lines":[1]}' }))).toBe(
      "bad-signature",
    );
  });

  it("refuses a request whose query changed after signing", async () => {
    const { verifier } = setup();
    const request = signed({ method: "GET", target: "/v1/orders/1?a=1", body: "" });
    expect(await refusalReason(verifier.verify({ ...request, target: "/v1/orders/1?a=2" }))).toBe(
      "bad-signature",
    );
  });

  it("refuses a signature made with another key", async () => {
    const { verifier } = setup();
    const forged = signRequest({
      method: "POST",
      target: "/v1/orders",
      body: "",
      timestamp: t0,
      keyId: key.keyId,
      signingKey: "b3RoZXIta2V5",
    });
    expect(
      await refusalReason(
        verifier.verify({ method: "POST", target: "/v1/orders", body: "", headers: lower(forged) }),
      ),
    ).toBe("bad-signature");
  });

  it("refuses a request whose Idempotency-Key changed after signing", async () => {
    const { verifier } = setup();
    const request = signed({ idempotencyKey: "order-1" });
    const changed = { ...request, headers: { ...request.headers, "idempotency-key": "order-2" } };
    expect(await refusalReason(verifier.verify(changed))).toBe("bad-signature");
  });

  it("refuses an Idempotency-Key added to a request signed without one", async () => {
    const { verifier } = setup();
    const request = signed();
    const added = { ...request, headers: { ...request.headers, "idempotency-key": "order-2" } };
    expect(await refusalReason(verifier.verify(added))).toBe("bad-signature");
  });

  it("signs every header the API document declares, so none can change a request's meaning unsigned", () => {
    const declared = Object.values(paths)
      .flatMap((item) => Object.values(item))
      .flatMap((operation) => operation.parameters ?? [])
      .filter((parameter) => parameter.in === "header")
      .map((parameter) => parameter.name.toLowerCase());
    expect(new Set(declared)).toEqual(new Set(Object.values(signedHeaders)));
  });

  it("refuses a timestamp more than 300 s away, either way", async () => {
    const { verifier } = setup();
    expect(await refusalReason(verifier.verify(signed({ timestamp: t0 - 301 })))).toBe("stale-timestamp");
    expect(await refusalReason(verifier.verify(signed({ timestamp: t0 + 301 })))).toBe("stale-timestamp");
  });

  it("accepts a timestamp exactly 300 s old", async () => {
    const { verifier } = setup();
    await expect(verifier.verify(signed({ timestamp: t0 - 300 }))).resolves.toMatchObject({ userId: "u-7" });
  });

  it("refuses a replay of the same signed request", async () => {
    const { verifier } = setup();
    const request = signed();
    await verifier.verify(request);
    expect(await refusalReason(verifier.verify(request))).toBe("replayed");
  });

  it("lets a client send the same request twice with distinct nonces", async () => {
    const { verifier } = setup();
    await verifier.verify(signed({ nonce: "nonce-0001" }));
    await expect(verifier.verify(signed({ nonce: "nonce-0002" }))).resolves.toMatchObject({ userId: "u-7" });
  });

  it("does not burn a nonce on a forged request", async () => {
    const { verifier, nonces } = setup();
    await refusalReason(verifier.verify({ ...signed({ nonce: "nonce-0001" }), body: "tampered" }));
    expect(nonces.seen.size).toBe(0);
  });

  it("refuses an unknown key id, and remembers that for a while", async () => {
    const { verifier, fetches } = setup();
    const request = signed();
    const unknown = { ...request, headers: { ...request.headers, "x-api-key-id": "ak_unknown" } };
    expect(await refusalReason(verifier.verify(unknown))).toBe("unknown-key");
    expect(await refusalReason(verifier.verify(unknown))).toBe("unknown-key");
    expect(fetches()).toBe(1);
  });

  it("keeps known keys cached however many unknown key ids are tried", async () => {
    const { verifier, fetches } = setup({ keyCacheSize: 2 });
    await verifier.verify(signed({ nonce: "nonce-0001" }));
    for (let i = 0; i < 5; i++) {
      const request = signed();
      const unknown = { ...request, headers: { ...request.headers, "x-api-key-id": `ak_unknown${i}` } };
      expect(await refusalReason(verifier.verify(unknown))).toBe("unknown-key");
    }
    await verifier.verify(signed({ nonce: "nonce-0002" }));
    expect(fetches()).toBe(6);
  });

  it.each([
    ["the signature with padding", (s: string) => `${s}=`],
    [
      "the signature with its last character's unused bits set",
      (s: string) => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(42) + 1),
    ],
  ])("refuses %s: one signature has one spelling", async (_, respell) => {
    const { verifier } = setup();
    const request = signed();
    const signature = request.headers["x-signature"]!;
    expect(Buffer.from(respell(signature), "base64url")).toEqual(Buffer.from(signature, "base64url"));
    expect(
      await refusalReason(
        verifier.verify({ ...request, headers: { ...request.headers, "x-signature": respell(signature) } }),
      ),
    ).toBe("malformed-signature-headers");
  });

  it.each([
    ["a missing signature", { "x-signature": undefined }],
    ["a signature that is not base64url HMAC-SHA256", { "x-signature": "abc" }],
    ["a timestamp that is not unix seconds", { "x-signature-timestamp": "2026-01-01T00:00:00Z" }],
    ["a nonce with spaces", { "x-signature-nonce": "a b c d e f g h" }],
  ])("refuses %s as malformed", async (_, change) => {
    const { verifier } = setup();
    const request = signed();
    expect(
      await refusalReason(verifier.verify({ ...request, headers: { ...request.headers, ...change } })),
    ).toBe("malformed-signature-headers");
  });
});
