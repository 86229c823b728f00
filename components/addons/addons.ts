import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { podSecurityLabels } from "../cluster/cluster-plan.js";
import { createServiceAccountRole, type IrsaIssuer } from "../cluster/irsa.js";
import { originPort } from "../edge/edge-rules.js";
import { type Tags, tagged } from "../shared/tags.js";
import { requireNamespaceName, requireWholeNumber } from "../shared/validation.js";
import { clusterAutoscalerPolicy, loadBalancerControllerPolicy } from "./addon-policies.js";
import {
  argoRolloutsValues,
  type ChartPin,
  charts,
  clusterAutoscalerImageTag,
  clusterAutoscalerValues,
  ingressNginxValues,
  ingressObjects,
  kedaValues,
  loadBalancerControllerValues,
  metricsServerValues,
  serviceAccounts,
} from "./charts.js";
import { originPullCaPem } from "./origin-pull-ca.js";

/** What the add-ons need of the Edge: its target group, security group and origin certificate. */
export interface AddonsEdgeArgs {
  /** The origin NLB's target group (ip targets, TCP 443) the ingress pods register into. */
  readonly targetGroupArn: pulumi.Input<string>;
  /** The origin NLB's security group: the only source admitted to the ingress pods' port. */
  readonly originSecurityGroupId: pulumi.Input<string>;
  /** The Cloudflare origin certificate (PEM), the ingress's default certificate. */
  readonly originCertificate: pulumi.Input<string>;
  /** Its private key (PEM, secret). */
  readonly originPrivateKey: pulumi.Input<string>;
  /** The public API host the gateway's Ingress answers. */
  readonly apiHost: string;
}

/** The public HTTP service behind the ingress. */
export interface PublicServiceArgs {
  readonly name: string;
  readonly port: number;
  /** Its namespace; pass the Namespace's name Output so the Ingress waits for it. */
  readonly namespace: pulumi.Input<string>;
}

export interface AddonsArgs {
  /** The EKS cluster's name (cluster-autoscaler discovery, the load balancer controller). */
  readonly clusterName: string;
  readonly region: string;
  /** The cluster's Kubernetes minor version; the cluster-autoscaler image follows it. */
  readonly kubernetesVersion: string;
  /** The cluster's VPC (the load balancer controller cannot read it from IMDS). */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC CIDR: the NLB's addresses, trusted for the client address header. */
  readonly vpcCidr: string;
  /** The cluster's Kubernetes provider. */
  readonly provider: k8s.Provider;
  /** The cluster's OIDC issuer, for the add-ons' IRSA roles (`Cluster` satisfies it). */
  readonly issuer: IrsaIssuer;
  /** The EKS cluster security group, which the ingress pods (like every pod) carry. */
  readonly clusterSecurityGroupId: pulumi.Input<string>;
  readonly edge: AddonsEdgeArgs;
  /** The service the gateway Ingress routes to. */
  readonly gateway: PublicServiceArgs;
  /** Tags for every taggable AWS child. */
  readonly tags: Tags;
}

export function validateAddonsArgs(args: AddonsArgs): void {
  clusterAutoscalerImageTag(args.kubernetesVersion);
  requireWholeNumber(args.gateway.port, "gateway.port", { min: 1, max: 65535 });
  if (typeof args.gateway.namespace === "string")
    requireNamespaceName(args.gateway.namespace, "gateway.namespace");
}

/**
 * The cluster's add-ons, from pinned upstream charts: Argo Rollouts, KEDA, metrics-server,
 * the AWS Load Balancer Controller, ingress-nginx and cluster-autoscaler. The ingress pods
 * are the Edge NLB's targets (a TargetGroupBinding, ip targets), present the Cloudflare
 * origin certificate and accept only connections carrying Cloudflare's origin-pull client
 * certificate (authenticated origin pulls). Node groups scale per zone, kept balanced.
 */
export class Addons extends pulumi.ComponentResource {
  static readonly type = "platform:cluster:Addons";

  /** Every Helm release, by chart key. */
  readonly releases: Readonly<Record<keyof typeof charts, k8s.helm.v3.Release>>;
  readonly targetGroupBinding: k8s.apiextensions.CustomResource;
  readonly gatewayIngress: k8s.networking.v1.Ingress;

  constructor(name: string, args: AddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    validateAddonsArgs(args);
    super(
      Addons.type,
      name,
      { clusterName: args.clusterName, charts: Object.values(charts).map((c) => `${c.chart}@${c.version}`) },
      opts,
    );
    const k8sOpts = { parent: this, provider: args.provider };

    // Namespaces of their own, restricted where the chart runs restricted, baseline elsewhere.
    const namespaces = new Map<string, k8s.core.v1.Namespace>();
    for (const pin of Object.values(charts)) {
      if (pin.namespace === "kube-system" || namespaces.has(pin.namespace)) continue;
      const labels = podSecurityLabels(args.kubernetesVersion);
      labels["pod-security.kubernetes.io/enforce"] = "baseline";
      namespaces.set(
        pin.namespace,
        new k8s.core.v1.Namespace(
          `${name}-${pin.namespace}`,
          {
            metadata: {
              name: pin.namespace,
              labels: { ...labels, "app.kubernetes.io/managed-by": "pulumi" },
            },
          },
          k8sOpts,
        ),
      );
    }
    const namespaceOf = (pin: ChartPin) => namespaces.get(pin.namespace)?.metadata.name ?? pin.namespace;
    const release = (
      key: keyof typeof charts,
      values: pulumi.Input<Record<string, unknown>>,
      dependsOn: pulumi.Resource[] = [],
    ) => {
      const pin: ChartPin = charts[key];
      return new k8s.helm.v3.Release(
        `${name}-${pin.release}`,
        {
          name: pin.release,
          chart: pin.chart,
          version: pin.version,
          repositoryOpts: { repo: pin.repository },
          namespace: namespaceOf(pin),
          values,
          atomic: true,
          cleanupOnFail: true,
          timeout: 600,
        },
        { ...k8sOpts, dependsOn },
      );
    };
    const role = (label: string, serviceAccount: string, policy: pulumi.Input<string>) =>
      createServiceAccountRole(
        `${name}-${label}`,
        {
          issuer: args.issuer,
          namespace: "kube-system",
          serviceAccount,
          inlinePolicy: policy,
          tags: args.tags,
        },
        this,
      );

    const lbRole = role(
      "lb-controller",
      serviceAccounts.awsLoadBalancerController,
      pulumi.output(args.edge.targetGroupArn).apply(loadBalancerControllerPolicy),
    );
    const caRole = role(
      "cluster-autoscaler",
      serviceAccounts.clusterAutoscaler,
      clusterAutoscalerPolicy(args.clusterName),
    );

    const metricsServer = release("metricsServer", metricsServerValues);
    const lbController = release(
      "awsLoadBalancerController",
      pulumi.all([args.vpcId, lbRole.arn]).apply(([vpcId, roleArn]) =>
        loadBalancerControllerValues({
          clusterName: args.clusterName,
          region: args.region,
          vpcId,
          roleArn,
        }),
      ),
    );
    const ingressNs = namespaceOf(charts.ingressNginx);
    const originTls = new k8s.core.v1.Secret(
      `${name}-origin-tls`,
      {
        metadata: { name: ingressObjects.originTlsSecret, namespace: ingressNs },
        type: "kubernetes.io/tls",
        stringData: {
          "tls.crt": args.edge.originCertificate,
          "tls.key": pulumi.secret(args.edge.originPrivateKey),
        },
      },
      k8sOpts,
    );
    const originPullCa = new k8s.core.v1.Secret(
      `${name}-origin-pull-ca`,
      {
        metadata: { name: ingressObjects.originPullCaSecret, namespace: ingressNs },
        type: "Opaque",
        stringData: { "ca.crt": originPullCaPem },
      },
      k8sOpts,
    );
    const ingressNginx = release("ingressNginx", ingressNginxValues({ vpcCidr: args.vpcCidr }), [
      originTls,
      originPullCa,
    ]);
    this.releases = {
      argoRollouts: release("argoRollouts", argoRolloutsValues),
      keda: release("keda", kedaValues, [metricsServer]),
      metricsServer,
      awsLoadBalancerController: lbController,
      ingressNginx,
      clusterAutoscaler: release(
        "clusterAutoscaler",
        caRole.arn.apply((roleArn) =>
          clusterAutoscalerValues({
            clusterName: args.clusterName,
            region: args.region,
            kubernetesVersion: args.kubernetesVersion,
            roleArn,
          }),
        ),
      ),
    };

    // The NLB reaches the ingress pods directly (ip targets): admit it on their port.
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-nlb-to-ingress`,
      {
        securityGroupId: args.clusterSecurityGroupId,
        referencedSecurityGroupId: args.edge.originSecurityGroupId,
        ipProtocol: "tcp",
        fromPort: originPort,
        toPort: originPort,
        description: "Origin NLB to the ingress-nginx pods (TargetGroupBinding, ip targets)",
        tags: tagged(args.tags, `${name}-nlb-to-ingress`),
      },
      { parent: this },
    );
    this.targetGroupBinding = new k8s.apiextensions.CustomResource(
      `${name}-ingress-tgb`,
      {
        apiVersion: "elbv2.k8s.aws/v1beta1",
        kind: "TargetGroupBinding",
        metadata: { name: charts.ingressNginx.release, namespace: ingressNs },
        spec: {
          serviceRef: { name: ingressObjects.controllerService, port: originPort },
          targetGroupARN: args.edge.targetGroupArn,
          targetType: "ip",
        },
      },
      { ...k8sOpts, dependsOn: [lbController, ingressNginx] },
    );

    this.gatewayIngress = new k8s.networking.v1.Ingress(
      `${name}-gateway`,
      {
        metadata: {
          name: args.gateway.name,
          namespace: args.gateway.namespace,
          annotations: {
            // Authenticated origin pulls: no Cloudflare client certificate, no request.
            "nginx.ingress.kubernetes.io/auth-tls-secret": `${charts.ingressNginx.namespace}/${ingressObjects.originPullCaSecret}`,
            "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
            "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "1",
            "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "false",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
          },
        },
        spec: {
          ingressClassName: ingressObjects.ingressClass,
          // No secretName: the controller's default certificate (the origin certificate) is served.
          tls: [{ hosts: [args.edge.apiHost] }],
          rules: [
            {
              host: args.edge.apiHost,
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: args.gateway.name, port: { number: args.gateway.port } } },
                  },
                ],
              },
            },
          ],
        },
      },
      { ...k8sOpts, dependsOn: [ingressNginx] },
    );

    this.registerOutputs({
      charts: Object.values(charts).map((c) => `${c.chart}@${c.version}`),
      targetGroupBinding: this.targetGroupBinding.metadata.name,
    });
  }
}
