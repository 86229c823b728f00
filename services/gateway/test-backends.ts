import { randomBytes, randomUUID } from "node:crypto";
import { expect } from "vitest";
import { testCallers } from "../../test/callers.js";
import { createTestDatabase, testKafkaBrokers, testRedis } from "../../test/databases.js";
import { definition as catalogDefinition } from "../catalog/server.js";
import { definition as identityDefinition } from "../identity/server.js";
import { type RunningService, runService } from "../runtime/run-service.js";
import { type RunningGateway, startGateway } from "./server.js";

/**
 * Test harness of the gateway's integration tests: the real identity and catalog services
 * (each on a fresh PostgreSQL database) and real Redis; search, orders, notifications and
 * audit point at a port nothing listens on (the "upstream down" path).
 */

export const admin = { email: "admin@platform.local", password: "gateway test admin password" };
const nowhere = "127.0.0.1:1";

export interface Backends {
  /** The gateway's environment for these backends: generous limits, a key prefix of its own. */
  readonly base: Readonly<Record<string, string>>;
  /** The test Redis and this file's key prefix. */
  readonly redis: { readonly url: string; readonly prefix: string };
  /** Identity's database, to read what identity recorded (its outbox). */
  readonly identityDatabaseUrl: string;
  /** Starts a gateway on these backends with some settings changed; stopped by `stopGateways`. */
  gateway(
    env?: Record<string, string>,
    options?: Parameters<typeof startGateway>[1],
  ): Promise<RunningGateway>;
  /** Stops the gateways `gateway` started so far. */
  stopGateways(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts identity (with `identityEnv` on top of the test settings) and catalog. */
export async function startBackends(
  label: string,
  identityEnv: Record<string, string> = {},
): Promise<Backends> {
  const redis = testRedis(label);
  const [identityDb, catalogDb] = await Promise.all([
    createTestDatabase(`${label}_identity`),
    createTestDatabase(`${label}_catalog`),
  ]);
  const common = { REDIS_URL: redis.url, KAFKA_BROKERS: testKafkaBrokers(), PORT: "0", LOG_LEVEL: "silent" };
  // The gateway, identity and catalog know each other by the registry's call keys.
  const callers = await testCallers();
  const services: RunningService[] = [];
  services.push(
    await runService(identityDefinition, {
      ...common,
      ...callers.env("identity"),
      POSTGRES_URL: identityDb.url,
      IDENTITY_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      IDENTITY_ADMIN_EMAIL: admin.email,
      IDENTITY_ADMIN_PASSWORD: admin.password,
      ...identityEnv,
    }),
    await runService(catalogDefinition, {
      ...common,
      ...callers.env("catalog"),
      POSTGRES_URL: catalogDb.url,
    }),
  );
  const [identity, catalog] = services as [RunningService, RunningService];
  const base = {
    ...callers.env("gateway"),
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: redis.prefix,
    PORT: "0",
    LOG_LEVEL: "silent",
    IDENTITY_ADDRESS: `127.0.0.1:${identity.port}`,
    CATALOG_ADDRESS: `127.0.0.1:${catalog.port}`,
    SEARCH_ADDRESS: nowhere,
    ORDERS_ADDRESS: nowhere,
    NOTIFICATIONS_ADDRESS: nowhere,
    AUDIT_ADDRESS: nowhere,
    RATE_LIMIT_AUTH: "1000/60s",
    RATE_LIMIT_READ: "10000/60s",
    RATE_LIMIT_WRITE: "10000/60s",
    // Tests send bad credentials on purpose; the budget's own tests lower it again.
    RATE_LIMIT_AUTH_FAILURES: "10000/60s",
    SHUTDOWN_DRAIN_SECONDS: "1",
  };
  const started: RunningGateway[] = [];
  const stopGateways = async () => {
    for (const gw of started.splice(0)) await gw.stop();
  };
  return {
    base,
    redis,
    identityDatabaseUrl: identityDb.url,
    async gateway(env = {}, options = {}) {
      const running = await startGateway({ ...base, ...env }, options);
      started.push(running);
      return running;
    },
    stopGateways,
    async stop() {
      await stopGateways();
      for (const service of services) await service.stop();
      await identityDb.drop();
      await catalogDb.drop();
    },
  };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function call(
  gw: RunningGateway,
  method: string,
  path: string,
  options: {
    json?: unknown;
    body?: string | Uint8Array;
    token?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers["content-type"] ??= "application/json";
  }
  if (options.token) headers["authorization"] = `Bearer ${options.token}`;
  const response = await fetch(`${gw.url}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export const login = async (gw: RunningGateway, email: string, password: string): Promise<Tokens> => {
  const answer = await call(gw, "POST", "/v1/auth/login", { json: { email, password } });
  expect(answer.status).toBe(200);
  return answer.body as unknown as Tokens;
};

export const shopperPassword = "correct horse battery staple";

/** A new user, logged in. */
export async function signUpAndLogin(gw: RunningGateway): Promise<Tokens & { email: string }> {
  const email = `shopper-${randomUUID().slice(0, 8)}@example.com`;
  const signUp = await call(gw, "POST", "/v1/auth/signup", {
    json: { email, password: shopperPassword, name: "Shopper" },
  });
  expect(signUp.status).toBe(202);
  return { email, ...(await login(gw, email, shopperPassword)) };
}

/** An API key of the user whose access token this is. */
export async function createApiKey(gw: RunningGateway, accessToken: string) {
  const created = await call(gw, "POST", "/v1/auth/api-keys", { token: accessToken, json: { name: "ci" } });
  expect(created.status).toBe(201);
  return created.body as { keyId: string; secret: string };
}

export async function createProduct(gw: RunningGateway, adminToken: string) {
  const answer = await call(gw, "POST", "/v1/products", {
    token: adminToken,
    json: {
      sku: `SKU-${randomUUID().slice(0, 8).toUpperCase()}`,
      name: "Trail shoes",
      category: "shoes",
      price: { amountMinor: 8999, currency: "EUR" },
      stock: 4,
    },
  });
  expect(answer.status).toBe(201);
  return answer.body as { id: string; name: string };
}
