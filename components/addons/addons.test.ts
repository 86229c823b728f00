import * as k8s from "@pulumi/kubernetes";
import { describe, expect, it } from "vitest";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import { dependencyRecorder } from "../../test/dependencies.js";
import { idOf, recorded } from "../../test/pulumi.js";
import { Addons, type AddonsArgs } from "./addons.js";
import { charts } from "./charts.js";

const provider = new k8s.Provider("addons-test", { kubeconfig: "{}" });
const targetGroupArn =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/platform-test-ingress/0123456789abcdef";
const args: AddonsArgs = {
  clusterName: "platform-test",
  region: "eu-west-1",
  kubernetesVersion: "1.33",
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: "10.40.0.0/16",
  provider,
  issuer: {
    oidcProvider: { arn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC" },
    oidcIssuerUrl: "https://oidc.eks.eu-west-1.amazonaws.com/id/ABC",
  },
  clusterSecurityGroupId: "sg-0cluster",
  edge: {
    targetGroupArn,
    originSecurityGroupId: "sg-0origin",
    originCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
    originPrivateKey: "-----BEGIN PRIVATE KEY-----\ny\n-----END PRIVATE KEY-----\n",
    apiHost: "api.example.com",
  },
  gateway: { name: "gateway", port: 8080, namespace: "platform" },
  tags: { owner: "platform-team" },
};

const dependencies = dependencyRecorder();
const waitsFor = dependencies.waitsFor;

describe("Addons", () => {
  const addons = new Addons("addons", args, { transformations: [dependencies.transformation] });
  const ofType = (type: string) => recorded(type, addons);
  const byName = (resources: PlannedResource[], name: string) =>
    resources.find(
      (r) =>
        (r.inputs["metadata"] as { name?: string } | undefined)?.name === name || r.inputs["name"] === name,
    )!;

  it("installs each chart at its pinned version from its repository, under a fixed release name", async () => {
    const releases = await ofType("kubernetes:helm.sh/v3:Release");
    expect(releases).toHaveLength(Object.keys(charts).length);
    for (const pin of Object.values(charts)) {
      expect(byName(releases, pin.release)?.inputs, pin.chart).toMatchObject({
        chart: pin.chart,
        version: pin.version,
        repositoryOpts: { repo: pin.repository },
        namespace: pin.namespace,
      });
    }
  });

  it("registers the ingress-nginx controller's pods into the Edge's target group as ip targets", async () => {
    const [binding] = await ofType("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding");
    expect(binding!.inputs["spec"]).toEqual({
      serviceRef: { name: "ingress-nginx-controller", port: 443 },
      targetGroupARN: targetGroupArn,
      targetType: "ip",
    });
    expect(waitsFor("addons-ingress-tgb")).toEqual([
      "addons-aws-load-balancer-controller",
      "addons-ingress-nginx",
    ]);
  });

  it("admits the origin NLB, and only it, to the ingress pods' port", async () => {
    const [rule] = await ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    expect(rule!.inputs).toMatchObject({
      securityGroupId: "sg-0cluster",
      referencedSecurityGroupId: "sg-0origin",
      fromPort: 443,
      toPort: 443,
    });
    expect(rule!.inputs["cidrIpv4"]).toBeUndefined();
  });

  it("serves the origin certificate and requires Cloudflare's origin-pull client certificate for the API host", async () => {
    const secrets = await ofType("kubernetes:core/v1:Secret");
    expect(byName(secrets, "origin-tls").inputs).toMatchObject({
      type: "kubernetes.io/tls",
      stringData: "[secret]",
    });
    // The Kubernetes provider marks every Secret's data secret, even this public CA's.
    expect(byName(secrets, "cloudflare-origin-pull-ca").inputs).toMatchObject({
      metadata: { namespace: "ingress-nginx" },
      type: "Opaque",
      stringData: "[secret]",
    });
    const [ingress] = await ofType("kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingress!.inputs["metadata"]).toMatchObject({
      name: "gateway",
      namespace: "platform",
      annotations: {
        "nginx.ingress.kubernetes.io/auth-tls-secret": "ingress-nginx/cloudflare-origin-pull-ca",
        "nginx.ingress.kubernetes.io/auth-tls-verify-client": "on",
      },
    });
    expect(ingress!.inputs["spec"]).toMatchObject({
      ingressClassName: "nginx",
      rules: [
        {
          host: "api.example.com",
          http: { paths: [{ backend: { service: { name: "gateway", port: { number: 8080 } } } }] },
        },
      ],
    });
    expect(waitsFor("addons-gateway")).toEqual(["addons-ingress-nginx"]);
  });

  it("gives the load balancer controller and cluster-autoscaler IRSA roles for their kube-system accounts", async () => {
    const roles = await ofType("aws:iam/role:Role");
    const subjects = roles.map((r) =>
      JSON.stringify(JSON.parse(r.inputs["assumeRolePolicy"] as string).Statement[0].Condition),
    );
    expect(subjects.join()).toContain("system:serviceaccount:kube-system:aws-load-balancer-controller");
    expect(subjects.join()).toContain("system:serviceaccount:kube-system:cluster-autoscaler");
    const lb = byName(await ofType("kubernetes:helm.sh/v3:Release"), "aws-load-balancer-controller");
    const lbRole = roles.find((r) => r.name === "addons-lb-controller")!;
    expect(
      (lb.inputs["values"] as { serviceAccount: { annotations: Record<string, string> } }).serviceAccount
        .annotations,
    ).toEqual({
      "eks.amazonaws.com/role-arn": expect.stringContaining(idOf(lbRole)),
    });
  });

  it("creates the add-ons' own namespaces", async () => {
    const namespaces = (await ofType("kubernetes:core/v1:Namespace")).map(
      (n) => (n.inputs["metadata"] as { name: string }).name,
    );
    expect(namespaces.sort()).toEqual(["argo-rollouts", "ingress-nginx", "keda"]);
  });
});
