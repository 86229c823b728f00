import { callerVariables } from "../contracts/caller-keys.js";
import { privateKeyFromSeed, publicKeyFromSeed } from "../contracts/ed25519.js";
import { generateSecret } from "../contracts/service-spec.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import { CallerIdentity } from "../services/runtime/rpc/caller-identity.js";

/**
 * The registry's services as callers in a test: a fresh signing seed for each, the
 * environment a service under test reads (who may call it, and its own signing key when it
 * calls), and call credentials as any of them, e.g. the gateway with a user's principal.
 */
export interface TestCallers {
  /**
   * `CALLER_KEYS`, `PRINCIPAL_CALLERS` and, for a service that calls, `CALL_SIGNING_KEY`;
   * `extraCallers` are admitted besides the registry's (a stand-in for a future caller).
   */
  env(service: string, extraCallers?: readonly string[]): Record<string, string>;
  /** Credentials of `caller` towards `callee`, for `createClient`'s `caller`. */
  as(caller: string, callee: string): ReturnType<CallerIdentity["towards"]>;
}

export async function testCallers(): Promise<TestCallers> {
  const registry = await loadServiceRegistry();
  const seeds = new Map(registry.map((s) => [s.name, generateSecret("key-256-base64")]));
  const seed = (name: string) =>
    seeds.get(name) ?? (seeds.set(name, generateSecret("key-256-base64")).get(name) as string);
  const service = (name: string): RegisteredService => {
    const found = registry.find((s) => s.name === name);
    if (!found) throw new Error(`no service ${name} in the registry`);
    return found;
  };
  return {
    env(name, extraCallers = []) {
      const s = service(name);
      const callers = { ...s, callers: [...s.callers, ...extraCallers] };
      return {
        ...callerVariables(callers, registry, (caller) => publicKeyFromSeed(seed(caller))),
        ...(s.calls.length > 0 ? { CALL_SIGNING_KEY: seed(name) } : {}),
      };
    },
    as: (caller, callee) => new CallerIdentity(caller, privateKeyFromSeed(seed(caller))).towards(callee),
  };
}
