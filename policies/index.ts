/**
 * The CrossGuard entry point: `pulumi preview --policy-pack policies` loads this (through
 * load.cjs) and it starts the analyzer server. Nothing else constructs a PolicyPack:
 * constructing one starts a gRPC server, reads package.json from the working directory and
 * may exit the process. Tests and `npm run policy` import pack.ts instead.
 */
import { PolicyPack } from "@pulumi/policy";
import { packName, platformPolicies, registryFacts } from "./pack.js";

new PolicyPack(packName, {
  description:
    "The platform's invariants: three zones, private encrypted data, hardened workloads, a Cloudflare-only origin, paging, no plaintext secrets.",
  policies: platformPolicies(await registryFacts()),
});
