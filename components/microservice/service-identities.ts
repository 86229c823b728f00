import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { callerVariables } from "../../contracts/caller-keys.js";
import { publicKeyFromSeed } from "../../contracts/ed25519.js";
import type { RegisteredService } from "../../services/registry.js";
import { invalid } from "../shared/validation.js";
import { generateOnce } from "./generated-secrets.js";
import { nameLabel } from "./network-policy-rules.js";
import { callersConfigMapName, callKeySecretName } from "./pod-template.js";

export interface ServiceIdentitiesArgs {
  /** The whole registry: who calls whom (`calls`), and who authenticates end users. */
  readonly services: readonly RegisteredService[];
  /** The cluster's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** The workload namespace; pass the Namespace's name Output so the objects wait for it. */
  readonly namespace: pulumi.Input<string>;
}

export function validateServiceIdentitiesArgs(args: ServiceIdentitiesArgs): void {
  if (!args.services.some((s) => s.calls.length > 0))
    invalid("services", "no service calls another: there is no caller to give a key");
}

/**
 * How services know each other (contracts/caller-keys.ts), from the registry:
 * - each service that calls others gets an Ed25519 signing key, a 32-byte seed generated
 *   once like the other generated secrets (protected, never rotated by accident), in the
 *   Secret `<service>-call-key` (`CALL_SIGNING_KEY`);
 * - each gRPC service gets the ConfigMap `<service>-callers`: `CALLER_KEYS`, its callers
 *   with their public keys (derived from the seeds here; public, so a ConfigMap), and
 *   `PRINCIPAL_CALLERS`, those that authenticate end users.
 * A rotation is a deliberate change: replace a caller's seed, then restart the caller and
 * its callees together (tokens live two minutes).
 */
export class ServiceIdentities extends pulumi.ComponentResource {
  static readonly type = "platform:workload:ServiceIdentities";

  /** Each caller's Secret, by service name. */
  readonly signingKeys: Readonly<Record<string, k8s.core.v1.Secret>>;
  /** Each gRPC service's ConfigMap of callers, by service name. */
  readonly callers: Readonly<Record<string, k8s.core.v1.ConfigMap>>;
  /** Each caller's public key (base64url), by service name. */
  readonly publicKeys: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: ServiceIdentitiesArgs, opts?: pulumi.ComponentResourceOptions) {
    validateServiceIdentitiesArgs(args);
    const { services } = args;
    super(ServiceIdentities.type, name, { services: services.map((s) => s.name) }, opts);
    const k8sOpts = { parent: this, provider: args.provider };
    const metadata = (objectName: string, service: string) => ({
      name: objectName,
      namespace: args.namespace,
      labels: {
        [nameLabel]: service,
        "app.kubernetes.io/part-of": "platform",
        "app.kubernetes.io/managed-by": "pulumi",
      },
    });

    const signingKeys: Record<string, k8s.core.v1.Secret> = {};
    const publicKeys: Record<string, pulumi.Output<string>> = {};
    for (const caller of services.filter((s) => s.calls.length > 0)) {
      const seed = generateOnce(`${name}-${caller.name}-call-key`, "key-256-base64", this);
      signingKeys[caller.name] = new k8s.core.v1.Secret(
        `${name}-${caller.name}-call-key-secret`,
        {
          metadata: metadata(callKeySecretName(caller.name), caller.name),
          type: "Opaque",
          stringData: { CALL_SIGNING_KEY: seed },
        },
        k8sOpts,
      );
      // A public key reveals nothing of its seed: callees read it from a ConfigMap.
      publicKeys[caller.name] = pulumi.unsecret(seed.apply(publicKeyFromSeed));
    }

    const callers: Record<string, k8s.core.v1.ConfigMap> = {};
    for (const callee of services.filter((s) => s.protocol === "grpc")) {
      const keys = pulumi.all(Object.fromEntries(callee.callers.map((c) => [c, publicKeys[c]!])));
      callers[callee.name] = new k8s.core.v1.ConfigMap(
        `${name}-${callee.name}-callers`,
        {
          metadata: metadata(callersConfigMapName(callee.name), callee.name),
          data: keys.apply((byName) => callerVariables(callee, services, (caller) => byName[caller]!)),
        },
        k8sOpts,
      );
    }
    this.signingKeys = signingKeys;
    this.callers = callers;
    this.publicKeys = publicKeys;

    this.registerOutputs({ callers: Object.keys(signingKeys), callees: Object.keys(callers) });
  }
}
