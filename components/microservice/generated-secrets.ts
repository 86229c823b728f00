import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { type SecretGenerator, secretGenerators } from "../../contracts/service-spec.js";
import type { RegisteredService } from "../../services/registry.js";
import { invalid } from "../shared/validation.js";
import { nameLabel } from "./network-policy-rules.js";
import { generatedSecretName } from "./pod-template.js";

export interface GeneratedSecretsArgs {
  /** The service, from the registry: the `secrets` it declares (at least one). */
  readonly service: Pick<RegisteredService, "name" | "secrets">;
  /** The cluster's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** The workload namespace; pass the Namespace's name Output so the Secret waits for it. */
  readonly namespace: pulumi.Input<string>;
}

export function validateGeneratedSecretsArgs(args: GeneratedSecretsArgs): void {
  if (args.service.secrets.length === 0)
    invalid("service", `${args.service.name} declares no secrets to generate`);
}

/** `IDENTITY_KEY_ENCRYPTION_KEY` → `identity-key-encryption-key`, for resource names. */
export const resourceSuffix = (variable: string) => variable.toLowerCase().replace(/_/g, "-");

/**
 * One generated value as a secret Output: made once, protected, blind to changes of its
 * inputs (see `GeneratedSecrets` for why a key must never rotate by accident).
 */
export function generateOnce(name: string, generator: SecretGenerator, parent: pulumi.Resource) {
  const { bytes, encoding } = secretGenerators[generator];
  const generated = new random.RandomBytes(
    name,
    { length: bytes },
    { parent, protect: true, ignoreChanges: ["length", "keepers"] },
  );
  return pulumi.secret(generated[encoding]);
}

/**
 * The secrets a service declares in its registry entry (`secrets`), generated once by the
 * Pulumi program (`random.RandomBytes`, a secret Output) and delivered as the Secret
 * `<service>-generated` in the workload namespace, one key per variable; the pod takes
 * each through a `secretKeyRef` (pod-template.ts `generatedSecretEnv`).
 *
 * They must never change by accident: a key-encryption key that rotated would leave every
 * row sealed under the old one unreadable (identity's signing and API keys, notifications'
 * webhook secrets), and nothing could open them again. So each generator has no keepers
 * and ignores changes to its inputs (a new length in `secretGenerators` does not replace
 * it), and it is protected: an update that would delete or replace it (a rename, a move to
 * another parent) fails instead of minting a new key. Rotating one is a deliberate change
 * with a re-sealing migration; retiring a service starts with `pulumi state unprotect`.
 */
export class GeneratedSecrets extends pulumi.ComponentResource {
  static readonly type = "platform:workload:GeneratedSecrets";

  readonly secret: k8s.core.v1.Secret;
  /** Each generated value by its variable name, as secret Outputs. */
  readonly values: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: GeneratedSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    validateGeneratedSecretsArgs(args);
    const { service } = args;
    super(
      GeneratedSecrets.type,
      name,
      { service: service.name, variables: service.secrets.map((s) => s.env) },
      opts,
    );

    const values: Record<string, pulumi.Output<string>> = {};
    for (const declared of service.secrets)
      values[declared.env] = generateOnce(`${name}-${resourceSuffix(declared.env)}`, declared.generate, this);
    this.values = values;

    this.secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: generatedSecretName(service.name),
          namespace: args.namespace,
          labels: {
            [nameLabel]: service.name,
            "app.kubernetes.io/part-of": "platform",
            "app.kubernetes.io/managed-by": "pulumi",
          },
        },
        type: "Opaque",
        stringData: values,
      },
      { parent: this, provider: args.provider },
    );

    this.registerOutputs({ secret: this.secret.metadata.name });
  }
}
