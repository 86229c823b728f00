import { join } from "node:path";
import { z } from "zod";
import {
  file_platform_identity_v1_identity,
  IdentityService,
} from "../gen/platform/identity/v1/identity_pb.js";
import { ConfigError, count } from "../runtime/config.js";
import type { ServiceDefinition } from "../runtime/run-service.js";
import { keyEncryptionKeyVariable } from "../runtime/sealing.js";
import { emailProblem, normaliseEmail } from "./email.js";
import { identityHandlers } from "./handlers.js";
import { passwordProblem } from "./passwords.js";
import spec from "./service.js";
import { SigningKeys } from "./signing-keys.js";
import { TokenIssuer } from "./tokens.js";
import { ensureAdmin } from "./users.js";

const day = 24 * 3600 * 1000;
const positive = count.pipe(z.number().min(1));

const env = {
  IDENTITY_KEY_ENCRYPTION_KEY: keyEncryptionKeyVariable(
    "seals signing keys and API keys in Postgres (AES-256-GCM)",
  ),
  IDENTITY_ISSUER: z
    .url()
    .default("https://identity.platform.local")
    .describe("the iss claim of access tokens"),
  IDENTITY_AUDIENCE: z.string().min(1).default("platform-api").describe("the aud claim of access tokens"),
  IDENTITY_ACCESS_TOKEN_TTL_SECONDS: positive.default(900).describe("access-token lifetime"),
  IDENTITY_REFRESH_TOKEN_TTL_DAYS: positive
    .default(30)
    .describe("how long an unused refresh token stays valid"),
  IDENTITY_SIGNING_KEY_ROTATION_DAYS: positive
    .default(30)
    .describe("age at which a signing key gets a successor"),
  IDENTITY_JWKS_MAX_AGE_SECONDS: count
    .default(300)
    .describe("how long verifiers may cache the JWKS; a new key is published this long before it signs"),
  IDENTITY_MAX_API_KEYS_PER_USER: positive
    .default(10)
    .describe("API keys one user may hold at once; creating one more is refused (FAILED_PRECONDITION)"),
  IDENTITY_ADMIN_EMAIL: z
    .string()
    .optional()
    .describe("the bootstrap admin, ensured at start (with the password)"),
  IDENTITY_ADMIN_PASSWORD: z.string().optional().describe("the bootstrap admin's password"),
};

/** The admin to ensure at start, if configured; a half or invalid configuration stops the start. */
export function bootstrapAdmin(config: { IDENTITY_ADMIN_EMAIL?: string; IDENTITY_ADMIN_PASSWORD?: string }) {
  const { IDENTITY_ADMIN_EMAIL: rawEmail, IDENTITY_ADMIN_PASSWORD: password } = config;
  if (!rawEmail && !password) return undefined;
  if (!rawEmail || !password)
    throw new ConfigError(
      "invalid configuration: set both IDENTITY_ADMIN_EMAIL and IDENTITY_ADMIN_PASSWORD, or neither",
    );
  const email = normaliseEmail(rawEmail);
  const problem = emailProblem(email) ?? passwordProblem(password, email);
  if (problem) throw new ConfigError(`invalid configuration: the bootstrap admin is refused: ${problem}`);
  return { email, password };
}

/** The identity service: users, logins, EdDSA access tokens, refresh sessions, JWKS, API keys. */
export const definition: ServiceDefinition<typeof IdentityService, typeof env> = {
  spec,
  rpc: { service: IdentityService, file: file_platform_identity_v1_identity },
  env,
  migrations: join(import.meta.dirname, "migrations"),
  async start({ db, redis, logger, config, outbox }) {
    const kek = config.IDENTITY_KEY_ENCRYPTION_KEY;
    const keys = new SigningKeys(
      db,
      kek,
      {
        rotationMs: config.IDENTITY_SIGNING_KEY_ROTATION_DAYS * day,
        publishAheadMs: config.IDENTITY_JWKS_MAX_AGE_SECONDS * 1000,
        tokenLifetimeMs: config.IDENTITY_ACCESS_TOKEN_TTL_SECONDS * 1000,
      },
      logger,
    );
    await keys.current(); // the first key exists before the first login
    const admin = bootstrapAdmin(config);
    if (admin) {
      const result = await db.transaction((tx) => ensureAdmin(tx, admin));
      logger.info({ email: admin.email, result }, "bootstrap admin ensured");
    }
    const tokens = new TokenIssuer(keys, {
      issuer: config.IDENTITY_ISSUER,
      audience: config.IDENTITY_AUDIENCE,
      lifetimeSeconds: config.IDENTITY_ACCESS_TOKEN_TTL_SECONDS,
    });
    const sessions = { refreshTokenLifetimeMs: config.IDENTITY_REFRESH_TOKEN_TTL_DAYS * day };
    const maxApiKeysPerUser = config.IDENTITY_MAX_API_KEYS_PER_USER;
    return {
      handlers: identityHandlers({ db, redis, kek, keys, tokens, sessions, outbox, maxApiKeysPerUser }),
    };
  },
};
