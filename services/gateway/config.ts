import { z } from "zod";
import { count, loadConfig, port, redisUrl, runtimeEnv } from "../runtime/config.js";
import { callerEnv } from "../runtime/rpc/caller-config.js";

import { rateLimitEnv } from "./rate-limit.js";
import spec from "./service.js";
import { upstreamEnv } from "./upstreams.js";

const seconds = (value: number, description: string) => count.default(value).describe(description);

/** Every setting of the gateway, from the environment (defaults are what local mode runs with). */
export const gatewayEnv = runtimeEnv.extend({
  PORT: port.default(spec.port),
  REDIS_URL: redisUrl.describe("Redis for rate limits, nonces and revoked sessions"),
  REDIS_KEY_PREFIX: z.string().default(`${spec.name}:`).describe("prefix of the gateway's own Redis keys"),
  REVOKED_SESSION_PREFIX: z
    .string()
    .default("identity:revoked-session:")
    .describe("where identity marks revoked sessions: <prefix><sid>"),
  BODY_LIMIT_BYTES: count.default(64 * 1024).describe("the largest request body accepted"),
  TRUSTED_PROXY_HOPS: count
    .default(0)
    .describe(
      "proxies in front that append to X-Forwarded-For; 0 uses the socket's address as the client IP",
    ),
  JWT_ISSUER: z.string().min(1).default("https://identity.platform.local").describe("the iss claim required"),
  JWT_AUDIENCE: z.string().min(1).default("platform-api").describe("the aud claim required"),
  JWT_CLOCK_TOLERANCE_SECONDS: seconds(10, "leeway for exp, nbf and iat against clock skew"),
  JWT_CACHE_TTL_SECONDS: seconds(30, "how long a verified token is trusted without a revocation check"),
  JWT_CACHE_SIZE: count.default(50_000).describe("verified tokens kept (LRU)"),
  JWKS_REFETCH_SECONDS: seconds(10, "an unknown kid refetches the JWKS at most this often"),
  SIGNATURE_MAX_SKEW_SECONDS: seconds(300, "how far X-Signature-Timestamp may be from the gateway's clock"),
  SIGNING_KEY_CACHE_SECONDS: seconds(
    60,
    "how long an API key's signing key is cached (a deleted key works that long)",
  ),
  SIGNING_KEY_CACHE_SIZE: count
    .default(10_000)
    .describe("API signing keys kept (LRU); unknown key ids are kept apart"),
  ...rateLimitEnv,
  ...upstreamEnv,
  ...callerEnv,
});

export type GatewayConfig = z.output<typeof gatewayEnv>;

export const loadGatewayConfig = (env: NodeJS.ProcessEnv = process.env): GatewayConfig =>
  loadConfig(gatewayEnv, env);
