import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { defaultDenySpec } from "./network-policy-rules.js";

export interface NamespaceBaselineArgs {
  /** The cluster's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** The workload namespace; pass the Namespace's name Output so the policy waits for it. */
  readonly namespace: pulumi.Input<string>;
}

/**
 * What the workload namespace enforces before any service arrives: a NetworkPolicy that
 * selects every pod and allows nothing, in or out. Each service's own policy then opens
 * exactly its declared callers, callees and stores (policies add up).
 */
export class NamespaceBaseline extends pulumi.ComponentResource {
  static readonly type = "platform:workload:NamespaceBaseline";

  readonly defaultDeny: k8s.networking.v1.NetworkPolicy;

  constructor(name: string, args: NamespaceBaselineArgs, opts?: pulumi.ComponentResourceOptions) {
    super(NamespaceBaseline.type, name, {}, opts);
    this.defaultDeny = new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: {
          name: "default-deny",
          namespace: args.namespace,
          labels: { "app.kubernetes.io/part-of": "platform", "app.kubernetes.io/managed-by": "pulumi" },
        },
        spec: { podSelector: defaultDenySpec.podSelector, policyTypes: [...defaultDenySpec.policyTypes] },
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ defaultDeny: this.defaultDeny.metadata.name });
  }
}
