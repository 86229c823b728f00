import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

/** The labels of what a data store hands a service (its Secret or ConfigMap). */
export function serviceStoreLabels(service: string, store: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": service,
    "app.kubernetes.io/part-of": "platform",
    "app.kubernetes.io/managed-by": "pulumi",
    "platform.io/store": store,
  };
}

export interface ServiceSecretArgs {
  /** The service the Secret is for. */
  readonly service: string;
  /** The store it connects the service to, e.g. "postgres"; it is in the labels. */
  readonly store: string;
  /** The Secret's name, e.g. "catalog-postgres". */
  readonly secretName: string;
  /** The namespace the service runs in. */
  readonly namespace: pulumi.Input<string>;
  /** The entries; credentials must be secret Outputs, so the plan shows `[secret]`. */
  readonly stringData: Record<string, pulumi.Input<string>>;
}

/**
 * A service's connection Secret for a data store (an Opaque Secret taking its values
 * through `stringData`), created in the workload cluster through `provider`.
 */
export function createServiceSecret(
  name: string,
  args: ServiceSecretArgs,
  parent: pulumi.Resource,
  provider: k8s.Provider,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    name,
    {
      metadata: {
        name: args.secretName,
        namespace: args.namespace,
        labels: serviceStoreLabels(args.service, args.store),
      },
      type: "Opaque",
      stringData: args.stringData,
    },
    { parent, provider },
  );
}
