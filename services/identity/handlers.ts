import type { IdentityService } from "../gen/platform/identity/v1/identity_pb.js";
import { unauthenticated } from "../runtime/errors.js";
import type { Database } from "../runtime/postgres.js";
import type { Redis } from "../runtime/redis.js";
import type { Handlers } from "../runtime/rpc/server.js";
import { apiSigningKey, createApiKey, deleteApiKey } from "./api-keys.js";
import type { KeyEncryptionKey } from "./key-encryption.js";
import { hashPassword } from "./passwords.js";
import {
  endSession,
  type RefreshVerdict,
  rotateRefreshToken,
  type SessionPolicy,
  startSession,
} from "./refresh-tokens.js";
import {
  createApiKeyInput,
  deleteApiKeyInput,
  keyIdInput,
  loginInput,
  refreshTokenInput,
  signUpInput,
} from "./requests.js";
import { markSessionRevoked } from "./revoked-sessions.js";
import type { SigningKeys } from "./signing-keys.js";
import type { TokenIssuer } from "./tokens.js";
import { authenticate, createUser, findUserById, userMessage } from "./users.js";

export interface IdentityDeps {
  readonly db: Database;
  readonly redis: Redis;
  readonly kek: KeyEncryptionKey;
  readonly keys: SigningKeys;
  readonly tokens: TokenIssuer;
  readonly sessions: SessionPolicy;
}

/** Why a refresh token was refused, as the caller reads it. */
const refusals: Record<Exclude<RefreshVerdict, "rotate">, string> = {
  unknown: "the refresh token is not recognised; log in again",
  revoked: "the session has ended; log in again",
  reused: "the refresh token was already used, so its session is revoked; log in again",
  expired: "the refresh token has expired; log in again",
};

/**
 * The identity RPCs. Each reads its request, calls the domain in a transaction (where an
 * outbox insert will join the state change), and answers; domain errors map to statuses.
 */
export function identityHandlers(deps: IdentityDeps): Handlers<typeof IdentityService> {
  const { db, redis, kek, keys, tokens, sessions } = deps;
  const accessLifetime = tokens.policy.lifetimeSeconds;

  return {
    async signUp(request) {
      const input = signUpInput(request);
      const passwordHash = await hashPassword(input.password);
      const user = await db.transaction((tx) => createUser(tx, { ...input, passwordHash, roles: ["user"] }));
      return { user: userMessage(user) };
    },

    async login(request) {
      const { email, password } = loginInput(request);
      const user = await authenticate(db, email, password);
      const session = await db.transaction((tx) => startSession(tx, user.id, sessions));
      const subject = { userId: user.id, roles: user.roles, sessionId: session.sessionId };
      return { user: userMessage(user), tokens: await tokens.pair(subject, session.refreshToken) };
    },

    async refresh(request, call) {
      const token = refreshTokenInput(request);
      const outcome = await db.transaction((tx) => rotateRefreshToken(tx, token, sessions));
      if (outcome.verdict === "reused") {
        // The refusal stands even if Redis is down: the thief learns nothing either way.
        await markSessionRevoked(redis, outcome.sessionId!, "refresh-token-reuse", accessLifetime).catch(
          (err: unknown) => call.logger.error({ err, sessionId: outcome.sessionId }, "revocation not cached"),
        );
      }
      if (outcome.verdict !== "rotate") throw unauthenticated(refusals[outcome.verdict]);
      // Roles are read again, so a promotion or demotion takes effect at the next refresh.
      const user = await findUserById(db, outcome.userId);
      if (!user) throw unauthenticated(refusals.unknown);
      const subject = { userId: user.id, roles: user.roles, sessionId: outcome.sessionId };
      return { tokens: await tokens.pair(subject, outcome.refreshToken) };
    },

    async logout(request) {
      const token = refreshTokenInput(request);
      const sessionId = await db.transaction((tx) => endSession(tx, token));
      if (!sessionId) throw unauthenticated(refusals.unknown);
      // Idempotent: logging out of an ended session marks it again (a retry after Redis failed).
      await markSessionRevoked(redis, sessionId, "logout", accessLifetime);
      return {};
    },

    async getJwks() {
      return {
        jwksJson: JSON.stringify(await keys.jwks()),
        maxAgeSeconds: Math.round(keys.policy.publishAheadMs / 1000),
      };
    },

    async createApiKey(request) {
      const { principal, name } = createApiKeyInput(request);
      return db.transaction((tx) => createApiKey(tx, kek, principal, name));
    },

    async deleteApiKey(request) {
      const { principal, keyId } = deleteApiKeyInput(request);
      await db.transaction((tx) => deleteApiKey(tx, keyId, principal));
      return {};
    },

    async getSigningKey(request) {
      return apiSigningKey(db, kek, keyIdInput(request));
    },
  };
}
