import { randomBytes, randomUUID } from "node:crypto";
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signRequest } from "./auth/signing.js";
import type { RunningGateway } from "./server.js";
import {
  admin,
  type Backends,
  call,
  createApiKey,
  createProduct,
  login,
  shopperPassword,
  signUpAndLogin,
  startBackends,
} from "./test-backends.js";

/**
 * The attacks of the security review on the authentication path (issue 15, items 1, 2, 3,
 * 5 and 11, and the X-Forwarded-For fallback), each against the real gateway, identity,
 * catalog and Redis. Each test is an attack that worked before the fix.
 */

const maxKeysPerUser = 3;
let backends: Backends;
let adminToken: string;
let productId: string;

beforeAll(async () => {
  backends = await startBackends("attacks", { IDENTITY_MAX_API_KEYS_PER_USER: String(maxKeysPerUser) });
  const setup = await backends.gateway();
  adminToken = (await login(setup, admin.email, admin.password)).accessToken;
  productId = (await createProduct(setup, adminToken)).id;
});

afterAll(async () => {
  await backends?.stop();
});

/** A gateway of its own (its own Redis keys), whose Redis answers are waited for, not timed out. */
const gatewayWith = (env: Record<string, string> = {}) =>
  backends.gateway({
    REDIS_KEY_PREFIX: `${backends.base["REDIS_KEY_PREFIX"]}${randomUUID().slice(0, 8)}:`,
    RATE_LIMIT_REDIS_TIMEOUT_MS: "5000",
    ...env,
  });

interface ApiKey {
  keyId: string;
  secret: string;
}

/** A request signed with `key`, with a fresh nonce so that identical requests are not replays. */
function signedCall(
  gw: RunningGateway,
  key: ApiKey,
  method: string,
  target: string,
  options: { json?: unknown; headers?: Record<string, string> } = {},
) {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const signature = signRequest({
    keyId: key.keyId,
    signingKey: key.secret,
    method,
    target,
    body,
    nonce: randomBytes(12).toString("base64url"),
  });
  return call(gw, method, target, {
    ...(body === undefined ? {} : { body }),
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...options.headers,
      ...signature,
    },
  });
}

const from = (address: string) => ({ "x-forwarded-for": address });
/** One after the other: a limit's decisions depend on the order. */
async function inTurn<T>(count: number, send: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await send(i));
  return results;
}

async function userWithKeys(count: number) {
  const user = await signUpAndLogin(await gatewayWith());
  const gw = await gatewayWith();
  const keys = await inTurn(count, () => createApiKey(gw, user.accessToken));
  return { ...user, keys };
}

describe("item 1: login guesses and per-user limits cannot be multiplied with API keys", () => {
  afterAll(() => backends.stopGateways());

  it("limits login by client address whatever API key signs the guesses", async () => {
    const { keys } = await userWithKeys(3);
    const gw = await gatewayWith({ RATE_LIMIT_AUTH: "3/60s" });
    const guesses = await inTurn(6, (i) =>
      signedCall(gw, keys[i % keys.length]!, "POST", "/v1/auth/login", {
        json: { email: `victim-${i}@example.com`, password: "guess number one" },
      }),
    );
    expect(guesses.map((a) => a.status)).toEqual([401, 401, 401, 429, 429, 429]);
  });

  it("limits login by target email whatever address the guesses come from", async () => {
    const victim = await signUpAndLogin(await gatewayWith());
    const gw = await gatewayWith({ RATE_LIMIT_AUTH: "3/60s", TRUSTED_PROXY_HOPS: "1" });
    const spellings = [victim.email, victim.email.toUpperCase(), victim.email, victim.email];
    const guesses = await inTurn(spellings.length, (i) =>
      call(gw, "POST", "/v1/auth/login", {
        json: { email: spellings[i], password: "guess number one" },
        headers: from(`198.51.100.${i + 1}`),
      }),
    );
    expect(guesses.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    // The bound of this limit: the account's owner is refused too until the budget refills.
    const owner = await call(gw, "POST", "/v1/auth/login", {
      json: { email: victim.email, password: shopperPassword },
      headers: from("192.0.2.10"),
    });
    expect(owner.status).toBe(429);
  });

  it("counts a user's reads with any of their API keys and tokens against one budget", async () => {
    const { accessToken, keys } = await userWithKeys(2);
    const gw = await gatewayWith({ RATE_LIMIT_READ: "4/60s" });
    const target = `/v1/products/${productId}`;
    const answers = [
      await signedCall(gw, keys[0]!, "GET", target),
      await signedCall(gw, keys[1]!, "GET", target),
      await call(gw, "GET", target, { token: accessToken }),
      await signedCall(gw, keys[0]!, "GET", target),
      await signedCall(gw, keys[1]!, "GET", target),
      await call(gw, "GET", target, { token: accessToken }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it(`caps API keys per user (${maxKeysPerUser} here), even when they are created at once`, async () => {
    const { accessToken } = await signUpAndLogin(await gatewayWith());
    const gw = await gatewayWith();
    const create = () => call(gw, "POST", "/v1/auth/api-keys", { token: accessToken, json: { name: "k" } });
    const answers = await Promise.all(Array.from({ length: maxKeysPerUser + 3 }, create));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(maxKeysPerUser);
    const refused = answers.find((a) => a.status !== 201)!;
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(refused.body).toMatchObject({ type: "/problems/failed-precondition" });
    expect(String(refused.body["detail"])).toContain(`${maxKeysPerUser} API keys`);
    // Deleting a key frees its place.
    const { keyId } = answers.find((a) => a.status === 201)!.body as { keyId: string };
    expect((await call(gw, "DELETE", `/v1/auth/api-keys/${keyId}`, { token: accessToken })).status).toBe(204);
    expect((await create()).status).toBe(201);
  });
});

describe("item 2: bad credentials are limited per address before they are checked", () => {
  afterAll(() => backends.stopGateways());
  const attacker = from("203.0.113.7");
  const honest = from("203.0.113.8");

  /** How many times the gateway asked identity for an API key's signing key. */
  const keyLookups = (gw: RunningGateway) => {
    const spy = vi.spyOn(gw.upstreams.identity, "call");
    return () => spy.mock.calls.filter(([method]) => method === "getSigningKey").length;
  };
  const randomKey = () => ({
    keyId: `ak_${randomBytes(16).toString("base64url")}`,
    secret: randomBytes(32).toString("base64url"),
  });

  it("stops asking identity about random API key ids from an address over its failure budget", async () => {
    const gw = await gatewayWith({ RATE_LIMIT_AUTH_FAILURES: "3/60s", TRUSTED_PROXY_HOPS: "1" });
    const lookups = keyLookups(gw);
    const target = `/v1/products/${productId}`;
    const guesses = await inTurn(8, () => signedCall(gw, randomKey(), "GET", target, { headers: attacker }));
    expect(guesses.map((a) => a.status)).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
    expect(guesses[7]!.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(lookups()).toBe(4);
    // The address may not present credentials until its budget refills; another address may.
    const { keys } = await userWithKeys(1);
    expect((await signedCall(gw, keys[0]!, "GET", target, { headers: attacker })).status).toBe(429);
    expect(lookups()).toBe(4);
    expect((await signedCall(gw, keys[0]!, "GET", target, { headers: honest })).status).toBe(200);
  });

  it("counts forged bearer tokens too, and then refuses the address's valid token", async () => {
    const gw = await gatewayWith({ RATE_LIMIT_AUTH_FAILURES: "3/60s", TRUSTED_PROXY_HOPS: "1" });
    const { accessToken } = await signUpAndLogin(await gatewayWith());
    const forged = await inTurn(4, (i) =>
      call(gw, "GET", "/v1/products?limit=1", { token: `forged.token.${i}`, headers: attacker }),
    );
    expect(forged.map((a) => a.status)).toEqual([401, 401, 401, 429]);
    const valid = (headers: Record<string, string>) =>
      call(gw, "GET", "/v1/products?limit=1", { token: accessToken, headers });
    expect((await valid(attacker)).status).toBe(429);
    expect((await valid(honest)).status).toBe(200);
  });

  it("keeps a real key cached while many addresses send unknown key ids", async () => {
    const gw = await gatewayWith({ TRUSTED_PROXY_HOPS: "1", SIGNING_KEY_CACHE_SIZE: "2" });
    const lookups = keyLookups(gw);
    const { keys } = await userWithKeys(1);
    const target = `/v1/products/${productId}`;
    expect((await signedCall(gw, keys[0]!, "GET", target)).status).toBe(200);
    const guesses = await inTurn(20, (i) =>
      signedCall(gw, randomKey(), "GET", target, { headers: from(`10.0.0.${i + 1}`) }),
    );
    expect(guesses.every((a) => a.status === 401)).toBe(true);
    const before = lookups();
    expect((await signedCall(gw, keys[0]!, "GET", target)).status).toBe(200);
    expect(lookups()).toBe(before);
  });
});

describe("item 11: sign-up does not tell which emails are registered", () => {
  afterAll(() => backends.stopGateways());

  /** The answer as bytes: status, every header but the clock's `Date`, and the body. */
  async function signUpAnswer(gw: RunningGateway, email: string, password: string) {
    const response = await fetch(`${gw.url}/v1/auth/signup`, {
      method: "POST",
      // The client's request id is echoed, so both answers carry the same one.
      headers: { "content-type": "application/json", "x-request-id": "signup-probe" },
      body: JSON.stringify({ email, password, name: "Probe" }),
    });
    const headers = [...response.headers].filter(([name]) => name !== "date");
    return { status: response.status, headers, body: await response.text() };
  }

  it("answers a sign-up for a registered email byte for byte as the first, and keeps the account's password", async () => {
    const email = `taken-${randomUUID()}@example.com`;
    // Each attempt on a gateway with rate-limit buckets of its own, so the RateLimit headers
    // of both are those of a first request.
    const first = await signUpAnswer(await gatewayWith(), email, shopperPassword);
    const second = await signUpAnswer(await gatewayWith(), email, "the attacker's own passphrase");
    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    const gw = await gatewayWith();
    expect(
      (await call(gw, "POST", "/v1/auth/login", { json: { email, password: shopperPassword } })).status,
    ).toBe(200);
    const attacker = await call(gw, "POST", "/v1/auth/login", {
      json: { email, password: "the attacker's own passphrase" },
    });
    expect(attacker.status).toBe(401);
  });
});

describe("X-Forwarded-For: an address is taken only from an entry a trusted proxy appended", () => {
  afterAll(() => backends.stopGateways());

  it("limits login guesses per address when each spoofs a new X-Forwarded-For shorter than the proxy chain", async () => {
    // Two proxies are trusted, but the guesses reach the gateway directly with one entry each:
    // the client wrote every one of them, so all are the socket's address and share its budget.
    const gw = await gatewayWith({ RATE_LIMIT_AUTH: "3/60s", TRUSTED_PROXY_HOPS: "2" });
    const guesses = await inTurn(6, (i) =>
      call(gw, "POST", "/v1/auth/login", {
        json: { email: `victim-${randomUUID()}@example.com`, password: "guess number one" },
        headers: from(`198.51.100.${i + 1}`),
      }),
    );
    expect(guesses.map((a) => a.status)).toEqual([401, 401, 401, 429, 429, 429]);
  });
});

describe("item 3: a signed request is accepted once, in one spelling, with its Idempotency-Key", () => {
  afterAll(() => backends.stopGateways());

  /** The same signature bytes in another base64url spelling: the last character's unused bits set. */
  const respelled = (signature: string) => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const last = alphabet.indexOf(signature.at(-1)!);
    return signature.slice(0, -1) + alphabet[last ^ 1];
  };

  it("refuses a replay whose signature is spelled differently (padding, unused bits)", async () => {
    const { keys } = await userWithKeys(1);
    const gw = await gatewayWith();
    const target = `/v1/products/${productId}`;
    const headers = signRequest({
      keyId: keys[0]!.keyId,
      signingKey: keys[0]!.secret,
      method: "GET",
      target,
    });
    expect(Buffer.from(respelled(headers["X-Signature"]!), "base64url")).toEqual(
      Buffer.from(headers["X-Signature"]!, "base64url"),
    );
    const replays = [
      { ...headers },
      { ...headers, "X-Signature": `${headers["X-Signature"]}=` },
      { ...headers, "X-Signature": respelled(headers["X-Signature"]!) },
    ];
    const answers = await inTurn(replays.length, (i) => call(gw, "GET", target, { headers: replays[i]! }));
    expect(answers.map((a) => a.status)).toEqual([200, 401, 401]);
  });

  it("refuses a signed order replayed with another Idempotency-Key, even to a replica without Redis", async () => {
    const { keys } = await userWithKeys(1);
    // Redis down: each replica can remember only the signatures it has seen itself.
    const [a, b] = [
      await gatewayWith({ REDIS_URL: "redis://127.0.0.1:1" }),
      await gatewayWith({ REDIS_URL: "redis://127.0.0.1:1" }),
    ];
    const body = JSON.stringify({ lines: [{ productId, quantity: 1 }] });
    const idempotencyKey = randomUUID();
    const signature = signRequest({
      keyId: keys[0]!.keyId,
      signingKey: keys[0]!.secret,
      method: "POST",
      target: "/v1/orders",
      body,
      idempotencyKey,
    });
    // Lower case, so that the attacker's Idempotency-Key below replaces the signed one.
    const headers = Object.fromEntries(
      Object.entries({
        "content-type": "application/json",
        "idempotency-key": idempotencyKey,
        ...signature,
      }).map(([k, v]) => [k.toLowerCase(), v]),
    );
    const placed = await call(a, "POST", "/v1/orders", { body, headers });
    expect([placed.status, placed.body["upstream"]]).toEqual([503, "orders"]); // past authentication
    const anotherOrder = await call(b, "POST", "/v1/orders", {
      body,
      headers: { ...headers, "idempotency-key": randomUUID() },
    });
    expect([anotherOrder.status, anotherOrder.body["reason"]]).toEqual([401, "bad-signature"]);
    // The same order again reaches orders, whose Idempotency-Key makes it the same order.
    const sameOrder = await call(b, "POST", "/v1/orders", { body, headers });
    expect([sameOrder.status, sameOrder.body["upstream"]]).toEqual([503, "orders"]);
  });
});

describe("item 5: revoked sessions while Redis cannot say", () => {
  const users: string[] = [];
  let redisAdmin: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redisAdmin = createClient({ url: backends.redis.url });
    await redisAdmin.connect();
  });
  afterAll(async () => {
    await backends.stopGateways();
    for (const user of users) await redisAdmin.sendCommand(["ACL", "DELUSER", user]);
    await redisAdmin.quit();
  });

  /**
   * A Redis login for the gateway that may run everything (its rate limits work) but, once
   * `refuseRevocationChecks` runs, not EXISTS: the revocation check fails as it does when
   * Redis is slow or half down, while every other Redis call succeeds.
   */
  async function redisLogin() {
    const user = `gw-${randomUUID().slice(0, 8)}`;
    const password = randomBytes(12).toString("hex");
    users.push(user);
    await redisAdmin.sendCommand(["ACL", "SETUSER", user, "on", `>${password}`, "~*", "&*", "+@all"]);
    const url = new URL(backends.redis.url);
    url.username = user;
    url.password = password;
    return {
      url: url.toString(),
      refuseRevocationChecks: () => redisAdmin.sendCommand(["ACL", "SETUSER", user, "-exists"]),
    };
  }

  async function revokedSession() {
    const gw = await gatewayWith();
    const { accessToken, refreshToken } = await signUpAndLogin(gw);
    expect((await call(gw, "POST", "/v1/auth/logout", { json: { refreshToken } })).status).toBe(204);
    return accessToken;
  }

  it("closed: answers 503 for a token whose revocation cannot be checked", async () => {
    const token = await revokedSession();
    const redis = await redisLogin();
    await redis.refuseRevocationChecks();
    const gw = await gatewayWith({ REDIS_URL: redis.url, RATE_LIMIT_FAIL_MODE: "closed" });
    const answer = await call(gw, "GET", "/v1/products?limit=1", { token });
    expect([answer.status, answer.body["type"], answer.headers.get("retry-after")]).toEqual([
      503,
      "/problems/service-unavailable",
      "1",
    ]);
  });

  it("open: keeps refusing a session this replica saw revoked; one it never saw is the documented window", async () => {
    const [seen, unseen] = [await revokedSession(), await revokedSession()];
    const redis = await redisLogin();
    const gw = await gatewayWith({ REDIS_URL: redis.url, RATE_LIMIT_FAIL_MODE: "open" });
    const before = await call(gw, "GET", "/v1/products?limit=1", { token: seen });
    expect([before.status, before.body["reason"]]).toEqual([401, "session-revoked"]);
    await redis.refuseRevocationChecks();
    const after = await call(gw, "GET", "/v1/products?limit=1", { token: seen });
    expect([after.status, after.body["reason"]]).toEqual([401, "session-revoked"]);
    expect((await call(gw, "GET", "/v1/products?limit=1", { token: unseen })).status).toBe(200);
  });
});
