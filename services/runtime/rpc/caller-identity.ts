import type { KeyObject } from "node:crypto";
import { type CallPrincipal, mintCallToken } from "./call-token.js";

/** How long a minted call token lives, and when a caller mints the next one. */
export const callTokenLifetimeSeconds = 120;
const reuseForSeconds = callTokenLifetimeSeconds / 2;
/** Tokens kept per callee (distinct principals calling at once); the oldest goes first. */
const cacheSize = 10_000;

/** What a client asks for each call: the `authorization` value for this request. */
export interface CallCredentials {
  authorization(request: object): string;
}

interface Minted {
  readonly value: string;
  readonly renewAt: number;
}

/** The principal a request message carries (`principal`, platform.common.v1.Principal), if any. */
function principalOf(request: object): CallPrincipal | undefined {
  const principal = (request as { principal?: Partial<CallPrincipal> }).principal;
  if (!principal?.userId) return undefined;
  return { userId: principal.userId, roles: [...(principal.roles ?? [])], method: principal.method ?? "" };
}

/**
 * A service's identity as a caller: it mints the tokens its calls carry (call-token.ts),
 * one per callee and principal, and reuses each for half its life. The hot path is a map
 * lookup: a signature costs tens of microseconds, so it is paid once a minute per principal,
 * not per call.
 */
export class CallerIdentity {
  readonly #tokens = new Map<string, Map<string, Minted>>();

  constructor(
    /** This service's name: the `iss` of its tokens. */
    readonly name: string,
    private readonly key: KeyObject,
    private readonly now: () => number = Date.now,
  ) {}

  /** Credentials for calls to `callee`; a request's `principal` field is vouched for in its token. */
  towards(callee: string): CallCredentials {
    const cache = this.#tokens.get(callee) ?? new Map<string, Minted>();
    this.#tokens.set(callee, cache);
    return {
      authorization: (request) => {
        const principal = principalOf(request);
        const cacheKey = principal
          ? `${principal.userId}\n${principal.method}\n${principal.roles.join(",")}`
          : "";
        const now = this.now();
        const cached = cache.get(cacheKey);
        if (cached && now < cached.renewAt) return cached.value;
        const minted = this.#mint(callee, principal, now);
        cache.delete(cacheKey);
        if (cache.size >= cacheSize) cache.delete(cache.keys().next().value!);
        cache.set(cacheKey, minted);
        return minted.value;
      },
    };
  }

  #mint(callee: string, principal: CallPrincipal | undefined, now: number): Minted {
    const iat = Math.floor(now / 1000);
    const token = mintCallToken(
      {
        iss: this.name,
        aud: callee,
        iat,
        exp: iat + callTokenLifetimeSeconds,
        ...(principal ? { principal } : {}),
      },
      this.key,
    );
    return { value: `Bearer ${token}`, renewAt: (iat + reuseForSeconds) * 1000 };
  }
}
