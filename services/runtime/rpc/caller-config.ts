import type { KeyObject } from "node:crypto";
import { z } from "zod";
import { publicKeyObject, seedVariable } from "../../../contracts/ed25519.js";

/**
 * The environment of service-to-service authentication, derived from the registry in one
 * place (contracts/caller-keys.ts `callerVariables`) for the pods
 * (components/microservice/service-identities.ts), local mode (local/service-env.ts) and tests:
 *
 *   CALL_SIGNING_KEY   a caller's Ed25519 seed: it signs the tokens of its calls (secret)
 *   CALLER_KEYS        a callee's callers and their public keys, `gateway:<x>,orders:<x>`
 *   PRINCIPAL_CALLERS  the callers that may name an end user (`authenticatesUsers`), `gateway`
 */

const serviceName = /^[a-z][a-z0-9-]{1,30}$/;

const callerKeys = z
  .string()
  .transform((value, ctx) => {
    const keys = new Map<string, KeyObject>();
    for (const entry of value.split(",").filter(Boolean)) {
      const [name = "", x = ""] = entry.trim().split(":");
      const key = publicKeyObject(x);
      if (!serviceName.test(name) || !key) {
        ctx.addIssue({
          code: "custom",
          message: `"${entry}" is not <service>:<Ed25519 public key, base64url>`,
        });
        return z.NEVER;
      }
      keys.set(name, key);
    }
    return keys as ReadonlyMap<string, KeyObject>;
  })
  .describe("the services that may call this one, each with its public key: gateway:<x>,orders:<x>");

const principalCallers = z
  .string()
  .default("")
  .refine((v) => v.split(",").every((name) => name === "" || serviceName.test(name)), {
    error: "a comma-separated list of service names, e.g. gateway",
  })
  .transform((v) => new Set(v.split(",").filter(Boolean)) as ReadonlySet<string>)
  .describe("the callers whose tokens may carry an end user's principal");

/** What every gRPC service reads: who may call it. */
export const calleeEnv = { CALLER_KEYS: callerKeys, PRINCIPAL_CALLERS: principalCallers };

/** What a service that calls others reads: the key its call tokens are signed with. */
export const callerEnv = {
  CALL_SIGNING_KEY: seedVariable("signs this service's call tokens (an Ed25519 seed, base64)"),
};
