export interface KubeconfigArgs {
  /** The EKS cluster name, as `aws eks get-token` expects it. */
  readonly clusterName: string;
  /** The cluster's API endpoint (https URL). */
  readonly endpoint: string;
  /** The cluster's CA bundle, base64-encoded as EKS returns it. */
  readonly certificateAuthorityData: string;
  /** The cluster's region. */
  readonly region: string;
}

/**
 * A kubeconfig (JSON, which is YAML) holding no credential: the client runs
 * `aws eks get-token` for a short-lived token from whatever AWS identity runs Pulumi, which
 * EKS maps to Kubernetes permissions through access entries.
 */
export function kubeconfig(args: KubeconfigArgs): string {
  const name = args.clusterName;
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: { server: args.endpoint, "certificate-authority-data": args.certificateAuthorityData },
      },
    ],
    contexts: [{ name, context: { cluster: name, user: name } }],
    "current-context": name,
    users: [
      {
        name,
        user: {
          exec: {
            apiVersion: "client.authentication.k8s.io/v1beta1",
            command: "aws",
            args: ["eks", "get-token", "--cluster-name", name, "--region", args.region, "--output", "json"],
            interactiveMode: "Never",
          },
        },
      },
    ],
  });
}
