import type { IdentityService } from "../gen/platform/identity/v1/identity_pb.js";
import { unauthenticated } from "../runtime/errors.js";
import type { EventOutbox } from "../runtime/event-wiring.js";
import type { Database, Queryable } from "../runtime/postgres.js";
import type { Redis } from "../runtime/redis.js";
import type { Handlers } from "../runtime/rpc/server.js";
import type { KeyEncryptionKey } from "../runtime/sealing.js";
import { apiSigningKey, createApiKey, deleteApiKey } from "./api-keys.js";
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
  readonly outbox: EventOutbox;
  /** API keys one user may hold at once. */
  readonly maxApiKeysPerUser: number;
}

/** Session events carry the session's state: who it belongs to and whether it is live. */
function sessionEvent(
  outbox: EventOutbox,
  tx: Queryable,
  session: { id: string; userId: string },
  action: string,
  live: boolean,
) {
  return outbox.append(tx, {
    entity: "session",
    entityId: session.id,
    action,
    actor: session.userId,
    data: { session: { id: session.id, user_id: session.userId, live } },
  });
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
  const { db, redis, kek, keys, tokens, sessions, outbox, maxApiKeysPerUser } = deps;
  const accessLifetime = tokens.policy.lifetimeSeconds;

  return {
    // The same answer whether or not the email already has an account (which is left as it
    // is), after the same work: the password is hashed either way, so neither the reply nor
    // its timing tells which emails are registered. The user logs in to learn their id.
    async signUp(request) {
      const input = signUpInput(request);
      const passwordHash = await hashPassword(input.password);
      await db.transaction(async (tx) => {
        const created = await createUser(tx, { ...input, passwordHash, roles: ["user"] });
        if (!created) return;
        await outbox.append(tx, {
          entity: "user",
          entityId: created.id,
          action: "created",
          actor: created.id,
          data: { user: userMessage(created) },
        });
      });
      return {};
    },

    async login(request) {
      const { email, password } = loginInput(request);
      const user = await authenticate(db, email, password);
      const session = await db.transaction(async (tx) => {
        const started = await startSession(tx, user.id, sessions);
        await sessionEvent(outbox, tx, { id: started.sessionId, userId: user.id }, "started", true);
        return started;
      });
      const subject = { userId: user.id, roles: user.roles, sessionId: session.sessionId };
      return { user: userMessage(user), tokens: await tokens.pair(subject, session.refreshToken) };
    },

    async refresh(request, call) {
      const token = refreshTokenInput(request);
      const outcome = await db.transaction(async (tx) => {
        const result = await rotateRefreshToken(tx, token, sessions);
        if (result.verdict === "reused") {
          await sessionEvent(outbox, tx, { id: result.sessionId!, userId: result.userId! }, "revoked", false);
        }
        return result;
      });
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
      const ended = await db.transaction(async (tx) => {
        const session = await endSession(tx, token);
        if (session) await sessionEvent(outbox, tx, session, "ended", false);
        return session;
      });
      const sessionId = ended?.id;
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
      return db.transaction(async (tx) => {
        const key = await createApiKey(tx, kek, principal, name, maxApiKeysPerUser);
        await outbox.append(tx, {
          entity: "apikey",
          entityId: key.keyId,
          action: "created",
          actor: principal.userId,
          // Never the secret: events are read by every consumer and kept in the audit trail.
          data: {
            apikey: { id: key.keyId, user_id: principal.userId, name: key.name, created_at: key.createdAt },
          },
        });
        return key;
      });
    },

    async deleteApiKey(request) {
      const { principal, keyId } = deleteApiKeyInput(request);
      await db.transaction(async (tx) => {
        await deleteApiKey(tx, keyId, principal);
        await outbox.append(tx, {
          entity: "apikey",
          entityId: keyId,
          action: "deleted",
          actor: principal.userId,
          data: { apikey: null },
        });
      });
      return {};
    },

    async getSigningKey(request) {
      return apiSigningKey(db, kek, keyIdInput(request));
    },
  };
}
