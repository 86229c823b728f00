import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../runtime/logger.js";
import { createRedis, type Redis } from "../runtime/redis.js";
import { CallerIdentity } from "../runtime/rpc/caller-identity.js";
import { Status } from "../runtime/rpc/client.js";
import { onShutdown } from "../runtime/shutdown.js";
import { instrument } from "../runtime/telemetry.js";
import { JwtVerifier } from "./auth/jwt.js";
import { RedisNonceStore } from "./auth/nonces.js";
import { SignatureVerifier } from "./auth/signing.js";
import { type GatewayConfig, loadGatewayConfig } from "./config.js";
import { clientErrorReply, maxHeaderBytes } from "./http.js";
import { publishedDocument } from "./openapi.js";
import { type BuiltIn, createPipeline, operationsOf } from "./pipeline.js";
import { HttpProblem, type ProblemKind, problemKinds, problemType, UpstreamError } from "./problems.js";
import { RateLimiter, withTimeout } from "./rate-limit.js";
import { Router } from "./router.js";
import { routes } from "./routes.js";
import spec from "./service.js";
import { createUpstreams, type Upstreams } from "./upstreams.js";
import { compileValidators } from "./validation.js";

export interface RunningGateway {
  readonly port: number;
  readonly url: string;
  readonly logger: Logger;
  readonly config: GatewayConfig;
  readonly upstreams: Upstreams;
  /** Graceful shutdown, as on SIGTERM: stop accepting, drain, close Redis and gRPC sessions. */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  /** The clock of token and signature checks (tests move it). */
  readonly now?: () => number;
}

/** Identity's calls made by the gateway itself (keys), with their own deadline. */
const identityCall = { deadlineMs: 2_000, idempotent: true } as const;

/**
 * Waits for Redis's first connection, or its first failure, for at most 2 s: a gateway
 * serves with its shared limits from the first request when Redis is there, and without
 * delay under its fail mode when it is not.
 */
function firstConnection(redis: Redis): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off("ready", done);
      redis.off("error", done);
      resolve();
    };
    const timer = setTimeout(done, 2_000);
    redis.once("ready", done);
    redis.once("error", done);
  });
}

/**
 * Boots the gateway: config, telemetry and logs, Redis (not awaited: the fail mode covers
 * an outage, even at start), the upstream clients, the verifiers and the HTTP server,
 * with a graceful shutdown on SIGTERM.
 */
export async function startGateway(
  env: NodeJS.ProcessEnv = process.env,
  options: GatewayOptions = {},
): Promise<RunningGateway> {
  const config = loadGatewayConfig(env);
  const { telemetry, logger, metrics } = instrument(spec.name, config, env);
  // Every call the gateway makes to Redis is bounded by RATE_LIMIT_REDIS_TIMEOUT_MS already,
  // so the client's own per-command timer (~15 µs of CPU per command) is off; the bounded
  // queue keeps a hung Redis from piling up commands that timer would otherwise have dropped.
  const redis = createRedis(config.REDIS_URL, logger, { commandTimeoutMs: 0, maxQueuedCommands: 10_000 });
  redis.connect().catch(() => undefined); // it reconnects by itself; until then the fail mode decides
  await firstConnection(redis);
  const outage = (message: string) => {
    let told = false;
    redis.on("ready", () => {
      told = false;
    });
    return (err?: unknown) => {
      if (told) return;
      told = true;
      logger.warn({ err: (err as Error | undefined)?.message }, message);
    };
  };

  const upstreams = createUpstreams(
    config,
    logger,
    new CallerIdentity(spec.name, config.CALL_SIGNING_KEY.privateKey),
  );
  const now = options.now;
  const jwt = new JwtVerifier({
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    clockToleranceSeconds: config.JWT_CLOCK_TOLERANCE_SECONDS,
    cacheMaxTtlSeconds: config.JWT_CACHE_TTL_SECONDS,
    cacheSize: Math.max(1, config.JWT_CACHE_SIZE),
    unknownKeyRefetchSeconds: config.JWKS_REFETCH_SECONDS,
    fetchJwks: () => upstreams.identity.call("getJwks", {}, identityCall),
    async isRevoked(sessionId) {
      if (!redis.isReady) return undefined;
      const key = `${config.REVOKED_SESSION_PREFIX}${sessionId}`;
      return withTimeout(redis.exists(key), config.RATE_LIMIT_REDIS_TIMEOUT_MS).then(
        (found) => found === 1,
        () => undefined,
      );
    },
    revocationUnknown: config.RATE_LIMIT_FAIL_MODE === "closed" ? "closed" : "open",
    onRevocationUnknown: outage(
      config.RATE_LIMIT_FAIL_MODE === "closed"
        ? "Redis unavailable: tokens whose revocation cannot be checked are refused (503)"
        : "Redis unavailable: tokens are accepted without a revocation check, but for sessions seen revoked",
    ),
    onStaleKeys: (err) =>
      logger.warn(
        { err: (err as Error).message },
        "JWKS refresh failed; the keys fetched before still serve",
      ),
    ...(now ? { now } : {}),
  });
  const signatures = new SignatureVerifier({
    maxSkewSeconds: config.SIGNATURE_MAX_SKEW_SECONDS,
    keyCacheSeconds: config.SIGNING_KEY_CACHE_SECONDS,
    keyCacheSize: config.SIGNING_KEY_CACHE_SIZE,
    async fetchKey(keyId) {
      try {
        return await upstreams.identity.call("getSigningKey", { keyId }, identityCall);
      } catch (err) {
        if (err instanceof UpstreamError && err.rpc.code === Status.NOT_FOUND) return undefined;
        throw err;
      }
    },
    nonces: new RedisNonceStore(redis, {
      keyPrefix: config.REDIS_KEY_PREFIX,
      failMode: config.RATE_LIMIT_FAIL_MODE,
      timeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
      onOutage: outage(`Redis unavailable: signature nonces (fail mode ${config.RATE_LIMIT_FAIL_MODE})`),
    }),
    ...(now ? { now } : {}),
  });
  const limiter = new RateLimiter(redis, {
    limits: { auth: config.RATE_LIMIT_AUTH, read: config.RATE_LIMIT_READ, write: config.RATE_LIMIT_WRITE },
    failureBudget: config.RATE_LIMIT_AUTH_FAILURES,
    failMode: config.RATE_LIMIT_FAIL_MODE,
    redisTimeoutMs: config.RATE_LIMIT_REDIS_TIMEOUT_MS,
    lease: { maxSize: config.RATE_LIMIT_LEASE_MAX, ttlMs: config.RATE_LIMIT_LEASE_MS },
    keyPrefix: config.REDIS_KEY_PREFIX,
    logger,
  });

  let draining = false;
  const document = publishedDocument(routes);
  const builtIns: Record<string, BuiltIn> = {
    healthz: () => ({ status: 200, body: { status: "ok" } }),
    readyz: () => {
      const redisUp = redis.isReady;
      const ready = !draining && (redisUp || config.RATE_LIMIT_FAIL_MODE !== "closed");
      return {
        status: ready ? 200 : 503,
        body: {
          status: ready ? "ready" : "not ready",
          draining,
          redis: redisUp ? "up" : "down",
          rateLimitFailMode: config.RATE_LIMIT_FAIL_MODE,
        },
      };
    },
    openapi: () => ({ status: 200, body: document }),
    problem: ({ params }) => {
      const kind = params["kind"] as ProblemKind;
      if (!Object.hasOwn(problemKinds, kind)) throw new HttpProblem("not-found", `no problem type ${kind}`);
      return { status: 200, body: { type: problemType(kind), ...problemKinds[kind] } };
    },
  };
  const router = new Router(document, {
    "/healthz": { GET: "healthz" },
    "/readyz": { GET: "readyz" },
    "/openapi.json": { GET: "openapi" },
    "/problems/{kind}": { GET: "problem" },
  });
  const handle = createPipeline({
    router,
    routes,
    operations: operationsOf(document),
    validators: compileValidators(document),
    builtIns,
    upstreams,
    jwt,
    signatures,
    limiter,
    metrics,
    logger,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
    trustedProxyHops: config.TRUSTED_PROXY_HOPS,
    draining: () => draining,
  });

  const server = http.createServer(
    {
      keepAliveTimeout: 65_000,
      headersTimeout: 10_000,
      requestTimeout: 60_000,
      maxHeaderSize: maxHeaderBytes,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err }, "request failed outside the pipeline");
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
  );
  // Requests the HTTP parser refuses never reach the pipeline: they get a problem document too.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    const requestId = randomUUID();
    // As Node does: a connection whose current response has begun cannot take another.
    const answering = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    const reply = socket.writable && !answering ? clientErrorReply(err, requestId) : undefined;
    if (!reply) {
      socket.destroy();
      return;
    }
    logger.info({ requestId, status: reply.status, code: err.code }, "request refused by the HTTP parser");
    socket.end(reply.raw);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: config.HOST, port, revision: config.SERVICE_REVISION }, "gateway serving");
  jwt
    .warm()
    .catch((err: unknown) =>
      logger.warn({ err: (err as Error).message }, "JWKS not loaded yet; the first token will fetch it"),
    );

  const stop = onShutdown(
    {
      async stopAccepting() {
        draining = true;
        server.close();
        server.closeIdleConnections();
      },
      inFlight: () => metrics.inFlight,
      drainSeconds: config.SHUTDOWN_DRAIN_SECONDS,
      close: [
        async () => server.closeAllConnections(),
        async () => upstreams.close(),
        // close() waits for pending commands, which no client timer ends here: a hung Redis gets 2 s.
        async () =>
          redis.isReady ? withTimeout(redis.close(), 2_000).catch(() => redis.destroy()) : redis.destroy(),
        () => telemetry.shutdown(),
      ],
    },
    logger,
  );
  return { port, url: `http://${config.HOST}:${port}`, logger, config, upstreams, stop };
}
