import { createHash, createPrivateKey, randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestCallers, testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../test/databases.js";
import { IdentityService } from "../gen/platform/identity/v1/identity_pb.js";
import { connectRedis, type Redis } from "../runtime/redis.js";
import { type Client, createClient, type RpcError, Status } from "../runtime/rpc/client.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { revokedSessionKey } from "./revoked-sessions.js";
import { definition } from "./server.js";

const issuer = "https://identity.platform.local";
const audience = "platform-api";
const admin = { email: "admin@platform.test", password: "bootstrap admin password" };
const password = "correct horse battery staple";

let env: Record<string, string>;
let running: RunningService;
let identity: Client<typeof IdentityService>;
let redis: Redis;
let sql: pg.Pool;
let dropDatabase: () => Promise<void>;
const revokedSessions: string[] = [];
let callers: TestCallers;

beforeAll(async () => {
  callers = await testCallers();
  const database = await createTestDatabase("identity");
  dropDatabase = database.drop;
  env = {
    POSTGRES_URL: database.url,
    REDIS_URL: testRedis("identity").url,
    KAFKA_BROKERS: testKafkaBrokers(),
    PORT: "0",
    LOG_LEVEL: "silent",
    IDENTITY_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    IDENTITY_ADMIN_EMAIL: admin.email,
    IDENTITY_ADMIN_PASSWORD: admin.password,
    // orders stands in for any service allowed to call identity that is not the gateway.
    ...callers.env("identity", ["orders"]),
  };
  running = await runService(definition, env);
  identity = createClient(IdentityService, `127.0.0.1:${running.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "identity"),
  });
  redis = await connectRedis(env["REDIS_URL"]!, running.logger);
  sql = new pg.Pool({ connectionString: database.url, max: 2 });
});

afterAll(async () => {
  identity?.close();
  if (revokedSessions.length > 0) await redis?.del(revokedSessions.map(revokedSessionKey));
  await redis?.quit();
  await sql?.end();
  await running?.stop();
  await dropDatabase?.();
});

/** A replica (or a restart) on the same database, with some settings changed. */
async function startReplica(overrides: Record<string, string> = {}) {
  const replica = await runService(definition, { ...env, ...overrides });
  const client = createClient(IdentityService, `127.0.0.1:${replica.port}`, {
    timeoutMs: 10_000,
    caller: callers.as("gateway", "identity"),
  });
  return {
    client,
    stop: async () => {
      client.close();
      await replica.stop();
    },
  };
}

const failure = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (err: RpcError) => err,
  );

/** A new user, logged in: sign-up says nothing about the account, the login names it. */
async function signUpAndLogin(client = identity) {
  const email = `user-${randomUUID()}@example.com`;
  await client.signUp({ email, password, name: "Ada" });
  const login = await client.login({ email, password });
  return { email, user: login.user!, tokens: login.tokens! };
}

async function verify(token: string, client = identity) {
  const jwks = JSON.parse((await client.getJwks({})).jwksJson);
  return jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ["EdDSA"], issuer, audience });
}

const principalOf = (user: { id: string; roles: string[] }) => ({
  userId: user.id,
  roles: user.roles,
  method: "jwt",
});

describe("sign-up and login", () => {
  it("issues an EdDSA access token that verifies against the JWKS with the platform's claims", async () => {
    const { user, tokens } = await signUpAndLogin();
    const { payload, protectedHeader } = await verify(tokens.accessToken);
    const jwks = JSON.parse((await identity.getJwks({})).jwksJson) as { keys: Record<string, string>[] };
    expect(jwks.keys[0]).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" });
    expect(jwks.keys.map((k) => k.kid)).toContain(protectedHeader.kid);
    expect(protectedHeader.alg).toBe("EdDSA");
    expect(payload).toMatchObject({ iss: issuer, aud: audience, sub: user.id, roles: ["user"] });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(payload.nbf).toBe(payload.iat);
    expect(payload.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(tokens).toMatchObject({ expiresIn: 900, tokenType: "Bearer" });
    expect(tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("stores the password only as an argon2id hash with the chosen parameters", async () => {
    const { email } = await signUpAndLogin();
    const { rows } = await sql.query("SELECT password_hash FROM users WHERE email = $1", [email]);
    expect(rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(rows[0].password_hash).not.toContain(password);
  });

  it("logs in whatever the case and spacing of the email", async () => {
    const { email, user } = await signUpAndLogin();
    const login = await identity.login({ email: `  ${email.toUpperCase()} `, password });
    expect(login.user?.id).toBe(user.id);
  });

  it("answers a wrong password and an unknown email alike: UNAUTHENTICATED, same message", async () => {
    const { email } = await signUpAndLogin();
    const wrong = await failure(identity.login({ email, password: "not the password at all" }));
    const unknown = await failure(identity.login({ email: `nobody-${randomUUID()}@example.com`, password }));
    expect(wrong.code).toBe(Status.UNAUTHENTICATED);
    expect(unknown.code).toBe(Status.UNAUTHENTICATED);
    expect(unknown.message).toBe(wrong.message);
  });

  it("answers a sign-up for a registered email, in any case, as a new one, and leaves the account as it was", async () => {
    const { email, user } = await signUpAndLogin();
    const [before] = (await sql.query("SELECT * FROM users WHERE id = $1", [user.id])).rows;
    const fresh = await identity.signUp({ email: `user-${randomUUID()}@example.com`, password, name: "Ada" });
    const again = await identity.signUp({
      email: email.toUpperCase(),
      password: "eve's own passphrase",
      name: "Eve",
    });
    expect(again).toEqual(fresh);
    const [after] = (await sql.query("SELECT * FROM users WHERE id = $1", [user.id])).rows;
    expect(after).toEqual(before);
    expect((await identity.login({ email, password })).user?.id).toBe(user.id);
    const eve = await failure(identity.login({ email, password: "eve's own passphrase" }));
    expect(eve.code).toBe(Status.UNAUTHENTICATED);
    const { rows } = await sql.query("SELECT count(*)::int AS n FROM users WHERE email = $1", [email]);
    expect(rows[0].n).toBe(1);
  });

  it("refuses a weak password with INVALID_ARGUMENT naming the field", async () => {
    const email = `weak-${randomUUID()}@example.com`;
    const weak = await failure(identity.signUp({ email, password: "tooshort", name: "Ada" }));
    expect(weak).toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: { password: "at least 12 characters" },
    });
    const asEmail = await failure(identity.signUp({ email, password: email, name: "Ada" }));
    expect(asEmail.details).toEqual({ password: "must not contain the email address" });
  });

  it("answers malformed input with INVALID_ARGUMENT and details, never INTERNAL", async () => {
    const calls = [
      () => identity.signUp({ email: "not-an-email", password, name: "" }),
      () => identity.login({ email: "", password: "" }),
      () => identity.refresh({ refreshToken: "garbage" }),
      () => identity.logout({ refreshToken: "" }),
      () => identity.getSigningKey({ keyId: "ak_short" }),
      () => identity.deleteApiKey({ principal: { userId: randomUUID(), roles: ["user"] }, keyId: "nope" }),
      () => identity.createApiKey({ principal: { userId: "not-a-uuid", roles: ["user"] } }),
      () => identity.signUp({ email: "nul\u0000@example.com", password, name: "Ada\u0000" }),
    ];
    for (const call of calls) {
      const err = await failure(call());
      expect(err.code).toBe(Status.INVALID_ARGUMENT);
      expect(Object.keys(err.details).length).toBeGreaterThan(0);
    }
  });
});

describe("refresh tokens", () => {
  it("rotate: the next pair keeps the session and the spent token no longer refreshes", async () => {
    const { tokens } = await signUpAndLogin();
    const next = (await identity.refresh({ refreshToken: tokens.refreshToken })).tokens!;
    expect(next.refreshToken).not.toBe(tokens.refreshToken);
    const before = (await verify(tokens.accessToken)).payload;
    const after = (await verify(next.accessToken)).payload;
    expect(after.sid).toBe(before.sid);
    expect(after.jti).not.toBe(before.jti);
    const third = (await identity.refresh({ refreshToken: next.refreshToken })).tokens!;
    expect(third.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("reused, revoke the whole session, in Postgres and in Redis for the gateway", async () => {
    const { tokens } = await signUpAndLogin();
    const { sid } = (await verify(tokens.accessToken)).payload as { sid: string };
    revokedSessions.push(sid);
    const next = (await identity.refresh({ refreshToken: tokens.refreshToken })).tokens!;

    const reuse = await failure(identity.refresh({ refreshToken: tokens.refreshToken }));
    expect(reuse.code).toBe(Status.UNAUTHENTICATED);
    // The thief's replay also ends the legitimate holder's newer token.
    expect((await failure(identity.refresh({ refreshToken: next.refreshToken }))).code).toBe(
      Status.UNAUTHENTICATED,
    );
    expect(await redis.get(revokedSessionKey(sid))).toBe("refresh-token-reuse");
    const ttl = await redis.ttl(revokedSessionKey(sid));
    expect(ttl).toBeGreaterThan(850);
    expect(ttl).toBeLessThanOrEqual(900);
    const { rows } = await sql.query("SELECT revoked_reason FROM sessions WHERE id = $1", [sid]);
    expect(rows[0].revoked_reason).toBe("refresh-token-reuse");
  });

  it("are stored only as SHA-256 hashes", async () => {
    const { tokens } = await signUpAndLogin();
    const hash = createHash("sha256").update(tokens.refreshToken).digest();
    const { rows } = await sql.query("SELECT count(*)::int AS n FROM refresh_tokens WHERE token_hash = $1", [
      hash,
    ]);
    expect(rows[0].n).toBe(1);
  });

  it("end with logout: the session is marked revoked and its token refused; logging out again is fine", async () => {
    const { tokens } = await signUpAndLogin();
    const { sid } = (await verify(tokens.accessToken)).payload as { sid: string };
    revokedSessions.push(sid);
    await identity.logout({ refreshToken: tokens.refreshToken });
    expect(await redis.get(revokedSessionKey(sid))).toBe("logout");
    const refused = await failure(identity.refresh({ refreshToken: tokens.refreshToken }));
    expect(refused).toMatchObject({
      code: Status.UNAUTHENTICATED,
      message: "the session has ended; log in again",
    });
    await expect(identity.logout({ refreshToken: tokens.refreshToken })).resolves.toBeDefined();
  });

  it("refuse a well-formed token this service never issued", async () => {
    const unknown = randomBytes(32).toString("base64url");
    expect((await failure(identity.refresh({ refreshToken: unknown }))).code).toBe(Status.UNAUTHENTICATED);
    expect((await failure(identity.logout({ refreshToken: unknown }))).code).toBe(Status.UNAUTHENTICATED);
  });
});

describe("API keys", () => {
  it("are created for the principal, and the gateway gets the signing key that equals the secret", async () => {
    const { user } = await signUpAndLogin();
    const created = await identity.createApiKey({ principal: principalOf(user), name: "ci" });
    expect(created.keyId).toMatch(/^ak_[A-Za-z0-9_-]{22}$/);
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.name).toBe("ci");
    const signing = await identity.getSigningKey({ keyId: created.keyId });
    expect(signing).toMatchObject({
      keyId: created.keyId,
      userId: user.id,
      roles: ["user"],
      signingKey: created.secret,
    });
  });

  it("leave no plaintext secret in the database: a hash and a sealed copy only", async () => {
    const { user } = await signUpAndLogin();
    const { keyId, secret } = await identity.createApiKey({ principal: principalOf(user) });
    const { rows } = await sql.query(
      "SELECT secret_hash, signing_key, api_keys::text AS whole FROM api_keys WHERE id = $1",
      [keyId],
    );
    const row = rows[0];
    expect(row.secret_hash).toEqual(createHash("sha256").update(secret).digest());
    const raw = Buffer.from(secret, "base64url");
    expect(row.signing_key.includes(raw)).toBe(false);
    expect(row.whole).not.toContain(secret);
    expect(row.whole).not.toContain(raw.toString("hex"));
  });

  it("are deleted by their owner and then unknown to the gateway", async () => {
    const { user } = await signUpAndLogin();
    const { keyId } = await identity.createApiKey({ principal: principalOf(user) });
    await identity.deleteApiKey({ principal: principalOf(user), keyId });
    expect((await failure(identity.getSigningKey({ keyId }))).code).toBe(Status.NOT_FOUND);
    expect((await failure(identity.deleteApiKey({ principal: principalOf(user), keyId }))).code).toBe(
      Status.NOT_FOUND,
    );
  });

  it("cannot be deleted by another user, but can by an admin", async () => {
    const owner = (await signUpAndLogin()).user;
    const other = (await signUpAndLogin()).user;
    const { keyId } = await identity.createApiKey({ principal: principalOf(owner) });
    const denied = await failure(identity.deleteApiKey({ principal: principalOf(other), keyId }));
    expect(denied.code).toBe(Status.PERMISSION_DENIED);
    await identity.deleteApiKey({
      principal: { userId: other.id, roles: ["user", "admin"], method: "jwt" },
      keyId,
    });
    expect((await failure(identity.getSigningKey({ keyId }))).code).toBe(Status.NOT_FOUND);
  });

  it("need a principal: UNAUTHENTICATED without one, PERMISSION_DENIED when an API key asks for another", async () => {
    const { user } = await signUpAndLogin();
    expect((await failure(identity.createApiKey({ name: "x" }))).code).toBe(Status.UNAUTHENTICATED);
    const viaKey = { userId: user.id, roles: user.roles, method: "api_key" };
    expect((await failure(identity.createApiKey({ principal: viaKey }))).code).toBe(Status.PERMISSION_DENIED);
  });

  it("give their secret to the gateway alone: another service, an unknown one or no caller at all is refused", async () => {
    const { user } = await signUpAndLogin();
    const { keyId } = await identity.createApiKey({ principal: principalOf(user) });
    const as = (caller?: string) =>
      createClient(IdentityService, `127.0.0.1:${running.port}`, {
        timeoutMs: 10_000,
        ...(caller ? { caller: callers.as(caller, "identity") } : {}),
      });
    const refusals = {
      orders: Status.PERMISSION_DENIED,
      intruder: Status.UNAUTHENTICATED,
      "": Status.UNAUTHENTICATED,
    };
    for (const [caller, code] of Object.entries(refusals)) {
      const client = as(caller || undefined);
      expect((await failure(client.getSigningKey({ keyId }))).code).toBe(code);
      client.close();
    }
    expect((await identity.getSigningKey({ keyId })).signingKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("signing keys", () => {
  it("are stored sealed: the private key in the database is no PKCS#8 key", async () => {
    const { rows } = await sql.query("SELECT private_key FROM signing_keys");
    expect(rows.length).toBeGreaterThan(0);
    for (const { private_key } of rows)
      expect(() => createPrivateKey({ key: private_key, format: "der", type: "pkcs8" })).toThrow();
  });

  it("rotate: a successor is published before it signs, and tokens of the old key still verify", async () => {
    const { tokens } = await signUpAndLogin();
    const oldKid = decodeProtectedHeader(tokens.accessToken).kid;
    // Thirty-one days pass: the replica that starts now finds the key due for rotation.
    await sql.query(
      "UPDATE signing_keys SET created_at = created_at - interval '31 days', activates_at = activates_at - interval '31 days'",
    );
    const replica = await startReplica({ IDENTITY_JWKS_MAX_AGE_SECONDS: "2" });
    try {
      const { jwksJson, maxAgeSeconds } = await replica.client.getJwks({});
      expect(maxAgeSeconds).toBe(2);
      const kids = (JSON.parse(jwksJson) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
      expect(kids).toHaveLength(2);
      expect(kids).toContain(oldKid);
      const newKid = kids.find((k) => k !== oldKid);
      // Published but not yet signing: verifiers caching the JWKS for max-age have it first.
      const early = (await replica.client.login({ email: admin.email, password: admin.password })).tokens!;
      expect(decodeProtectedHeader(early.accessToken).kid).toBe(oldKid);

      await sleep(2_100);
      const late = (await replica.client.login({ email: admin.email, password: admin.password })).tokens!;
      expect(decodeProtectedHeader(late.accessToken).kid).toBe(newKid);
      await expect(verify(late.accessToken, replica.client)).resolves.toBeDefined();
      await expect(verify(tokens.accessToken, replica.client)).resolves.toBeDefined();
      // Every replica serves the same JWKS: it is read from the database.
      expect(JSON.parse((await identity.getJwks({})).jwksJson).keys).toHaveLength(2);
    } finally {
      await replica.stop();
    }
  });
});

describe("the bootstrap admin", () => {
  it("exists after start, as an admin who can log in", async () => {
    const login = await identity.login({ email: admin.email, password: admin.password });
    expect(login.user?.roles).toEqual(["user", "admin"]);
    expect((await verify(login.tokens!.accessToken)).payload.roles).toEqual(["user", "admin"]);
  });

  it("is ensured idempotently: another start changes nothing", async () => {
    const before = await sql.query("SELECT id, password_hash, roles FROM users WHERE email = $1", [
      admin.email,
    ]);
    const replica = await startReplica();
    await replica.stop();
    const after = await sql.query("SELECT id, password_hash, roles FROM users WHERE email = $1", [
      admin.email,
    ]);
    expect(after.rows).toEqual(before.rows);
    expect(after.rows).toHaveLength(1);
  });

  it("gets the configured password back when it was changed", async () => {
    await sql.query("UPDATE users SET roles = '{user}', password_hash = 'x' WHERE email = $1", [admin.email]);
    const replica = await startReplica();
    await replica.stop();
    const login = await identity.login({ email: admin.email, password: admin.password });
    expect(login.user?.roles).toEqual(["user", "admin"]);
  });
});

describe("events", () => {
  const outbox = async (entityId: string) =>
    (
      await sql.query<{ event: { type: string; data: Record<string, unknown> } }>(
        "SELECT event FROM outbox WHERE key = $1 ORDER BY id",
        [entityId],
      )
    ).rows.map((r) => r.event);

  it("writes user.created with the user and never the password hash, in the sign-up's transaction", async () => {
    const email = `events-${randomUUID()}@platform.test`;
    await identity.signUp({ email, password, name: "Ev" });
    // A second sign-up for the email changes nothing, so it records nothing either.
    await identity.signUp({ email, password, name: "Ev again" });
    const { user } = await identity.login({ email, password });
    const [event, ...rest] = await outbox(user!.id);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      type: "platform.identity.user.created",
      data: { user: { id: user!.id, email: user!.email } },
    });
    expect(JSON.stringify(event)).not.toMatch(/argon2|password/i);
  });

  it("records session start and end, and an API key's life, without its secret", async () => {
    const email = `events-${randomUUID()}@platform.test`;
    await identity.signUp({ email, password, name: "Ev" });
    const login = await identity.login({ email, password });
    const user = login.user;
    const principal = { userId: user!.id, roles: ["user"], method: "jwt" };
    const key = await identity.createApiKey({ principal, name: "ci" });
    await identity.deleteApiKey({ principal, keyId: key.keyId });
    await identity.logout({ refreshToken: login.tokens!.refreshToken });
    const keyEvents = await outbox(key.keyId);
    expect(keyEvents.map((e) => e.type)).toEqual([
      "platform.identity.apikey.created",
      "platform.identity.apikey.deleted",
    ]);
    expect(JSON.stringify(keyEvents)).not.toContain(key.secret);
    const sessions = await sql.query<{ type: string }>(
      "SELECT event->>'type' AS type FROM outbox WHERE event->>'actor' = $1 AND event->>'entitytype' = 'session' ORDER BY id",
      [user!.id],
    );
    expect(sessions.rows.map((r) => r.type)).toEqual([
      "platform.identity.session.started",
      "platform.identity.session.ended",
    ]);
  });
});
