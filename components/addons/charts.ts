/**
 * The upstream Helm charts the cluster runs, each pinned to an exact version of its
 * official repository (a chart version fixes the app version it installs), and the values
 * the platform gives them. Pure, so it is tested without mocks.
 */
import { invalid } from "../shared/validation.js";

export interface ChartPin {
  /** The Helm release name (fixed: other objects name the Services it creates). */
  readonly release: string;
  readonly chart: string;
  /** The exact chart version; never a range. */
  readonly version: string;
  /** The chart repository of the project itself. */
  readonly repository: string;
  /** The app version the chart version installs, for the reader. */
  readonly appVersion: string;
  readonly namespace: string;
}

export const charts = {
  /** Argo Rollouts 1.9 (Rollout, AnalysisTemplate CRDs). */
  argoRollouts: {
    release: "argo-rollouts",
    chart: "argo-rollouts",
    version: "2.41.1",
    repository: "https://argoproj.github.io/argo-helm",
    appVersion: "v1.9.1",
    namespace: "argo-rollouts",
  },
  /** KEDA 2.20, whose supported Kubernetes range includes the cluster's 1.33. */
  keda: {
    release: "keda",
    chart: "keda",
    version: "2.20.2",
    repository: "https://kedacore.github.io/charts",
    appVersion: "2.20.2",
    namespace: "keda",
  },
  /** metrics-server: the resource metrics KEDA's CPU trigger and `kubectl top` read. */
  metricsServer: {
    release: "metrics-server",
    chart: "metrics-server",
    version: "3.13.0",
    repository: "https://kubernetes-sigs.github.io/metrics-server",
    appVersion: "0.8.0",
    namespace: "kube-system",
  },
  /** The AWS Load Balancer Controller, last 2.x line: here only for TargetGroupBinding. */
  awsLoadBalancerController: {
    release: "aws-load-balancer-controller",
    chart: "aws-load-balancer-controller",
    version: "1.16.0",
    repository: "https://aws.github.io/eks-charts",
    appVersion: "v2.16.0",
    namespace: "kube-system",
  },
  ingressNginx: {
    release: "ingress-nginx",
    chart: "ingress-nginx",
    version: "4.14.1",
    repository: "https://kubernetes.github.io/ingress-nginx",
    appVersion: "1.14.1",
    namespace: "ingress-nginx",
  },
  /** The chart of 2025-10; its image is pinned to the cluster's minor version below. */
  clusterAutoscaler: {
    release: "cluster-autoscaler",
    chart: "cluster-autoscaler",
    version: "9.52.1",
    repository: "https://kubernetes.github.io/autoscaler",
    appVersion: "see clusterAutoscalerImageTags",
    namespace: "kube-system",
  },
} as const satisfies Record<string, ChartPin>;

/** An exact semantic version: no range, no `latest`. */
export const exactVersion = /^v?\d+\.\d+\.\d+$/;

/**
 * The cluster-autoscaler must match the Kubernetes minor version it scales
 * (https://github.com/kubernetes/autoscaler/tree/master/cluster-autoscaler#releases).
 */
export const clusterAutoscalerImageTags: Readonly<Record<string, string>> = {
  "1.32": "v1.32.3",
  "1.33": "v1.33.1",
  "1.34": "v1.34.0",
};

export function clusterAutoscalerImageTag(kubernetesVersion: string): string {
  const tag = clusterAutoscalerImageTags[kubernetesVersion];
  if (!tag)
    invalid(
      "kubernetesVersion",
      `no cluster-autoscaler is pinned for Kubernetes ${kubernetesVersion}; add one to clusterAutoscalerImageTags`,
    );
  return tag;
}

/** The names of the in-cluster objects other objects refer to. */
export const ingressObjects = {
  /** The ingress-nginx controller's Service: the NLB's targets. */
  controllerService: "ingress-nginx-controller",
  ingressClass: "nginx",
  /** The Cloudflare origin certificate, the controller's default certificate. */
  originTlsSecret: "origin-tls",
  /** Cloudflare's origin-pull CA, against which client certificates are verified. */
  originPullCaSecret: "cloudflare-origin-pull-ca",
} as const;

export const serviceAccounts = {
  awsLoadBalancerController: "aws-load-balancer-controller",
  clusterAutoscaler: "cluster-autoscaler",
} as const;

/** Node labels that differ between the per-zone node groups and must not stop balancing them. */
export const zoneSpecificNodeLabels = ["platform.io/node-group", "platform.io/zone"] as const;

const spreadOverZones = (labels: Record<string, string>) => [
  {
    maxSkew: 1,
    topologyKey: "topology.kubernetes.io/zone",
    whenUnsatisfiable: "DoNotSchedule",
    labelSelector: { matchLabels: labels },
  },
];

export interface IngressValuesArgs {
  /** The VPC CIDR: the NLB's addresses, the only proxies whose forwarded headers count. */
  readonly vpcCidr: string;
}

/** ingress-nginx: ClusterIP only (the Edge NLB targets its pods), TLS 1.2+, three replicas over three zones. */
export function ingressNginxValues(args: IngressValuesArgs) {
  const { namespace } = charts.ingressNginx;
  return {
    controller: {
      replicaCount: 3,
      minAvailable: 2,
      topologySpreadConstraints: spreadOverZones({
        "app.kubernetes.io/name": "ingress-nginx",
        "app.kubernetes.io/component": "controller",
      }),
      service: { type: "ClusterIP", enableHttp: false },
      ingressClassResource: { name: ingressObjects.ingressClass, enabled: true, default: false },
      extraArgs: { "default-ssl-certificate": `${namespace}/${ingressObjects.originTlsSecret}` },
      allowSnippetAnnotations: false,
      config: {
        "ssl-protocols": "TLSv1.2 TLSv1.3",
        // Cloudflare sends the client's address; only the NLB (inside the VPC) may set it.
        "use-forwarded-headers": "true",
        "forwarded-for-header": "CF-Connecting-IP",
        "proxy-real-ip-cidr": args.vpcCidr,
        "server-tokens": "false",
      },
      metrics: { enabled: true },
    },
  };
}

export interface LoadBalancerControllerValuesArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly vpcId: string;
  readonly roleArn: string;
}

/** The AWS Load Balancer Controller: IRSA, VPC and region given (IMDS is out of pods' reach). */
export function loadBalancerControllerValues(args: LoadBalancerControllerValuesArgs) {
  return {
    clusterName: args.clusterName,
    region: args.region,
    vpcId: args.vpcId,
    replicaCount: 2,
    // It only binds existing target groups; it must not take over Services of type LoadBalancer.
    enableServiceMutatorWebhook: false,
    serviceAccount: {
      create: true,
      name: serviceAccounts.awsLoadBalancerController,
      annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
    },
  };
}

export interface ClusterAutoscalerValuesArgs {
  readonly clusterName: string;
  readonly region: string;
  readonly kubernetesVersion: string;
  readonly roleArn: string;
}

/**
 * cluster-autoscaler on the per-zone managed node groups (EKS tags their Auto Scaling
 * groups for auto-discovery), keeping the zones balanced.
 */
export function clusterAutoscalerValues(args: ClusterAutoscalerValuesArgs) {
  return {
    cloudProvider: "aws",
    awsRegion: args.region,
    autoDiscovery: { clusterName: args.clusterName },
    image: { tag: clusterAutoscalerImageTag(args.kubernetesVersion) },
    rbac: {
      serviceAccount: {
        create: true,
        name: serviceAccounts.clusterAutoscaler,
        annotations: { "eks.amazonaws.com/role-arn": args.roleArn },
      },
    },
    extraArgs: {
      "balance-similar-node-groups": true,
      "balancing-ignore-label": [...zoneSpecificNodeLabels],
      // Services keep /tmp in an emptyDir; without this no node of theirs would ever scale down.
      "skip-nodes-with-local-storage": false,
      expander: "least-waste",
    },
  };
}

/** Argo Rollouts: two controllers (leader election), CRDs kept on uninstall, no dashboard. */
export const argoRolloutsValues = {
  installCRDs: true,
  keepCRDs: true,
  controller: { replicas: 2, metrics: { enabled: true } },
  dashboard: { enabled: false },
};

/** KEDA: two metrics API servers; the operator is active-passive. */
export const kedaValues = { operator: { replicaCount: 2 }, metricsServer: { replicaCount: 2 } };

/** metrics-server: two replicas so CPU scaling survives a node drain. */
export const metricsServerValues = { replicas: 2, podDisruptionBudget: { enabled: true, minAvailable: 1 } };
