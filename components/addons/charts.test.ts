import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import {
  charts,
  clusterAutoscalerImageTag,
  clusterAutoscalerValues,
  exactVersion,
  ingressNginxValues,
  zoneSpecificNodeLabels,
} from "./charts.js";

describe("charts", () => {
  it("pin every chart to an exact version from its project's own HTTPS repository", () => {
    for (const [key, pin] of Object.entries(charts)) {
      expect(pin.version, key).toMatch(exactVersion);
      expect(pin.repository, key).toMatch(/^https:\/\//);
    }
    expect(Object.keys(charts).sort()).toEqual([
      "argoRollouts",
      "awsLoadBalancerController",
      "clusterAutoscaler",
      "ingressNginx",
      "keda",
      "metricsServer",
    ]);
  });

  it("refuse a range or a tag as a version", () => {
    for (const bad of ["2.x", "^2.41.1", "latest", "2.41"]) expect(exactVersion.test(bad), bad).toBe(false);
  });

  it("run the cluster-autoscaler of the cluster's Kubernetes minor version, or refuse", () => {
    expect(clusterAutoscalerImageTag("1.33")).toBe("v1.33.1");
    expect(() => clusterAutoscalerImageTag("1.29")).toThrow(pulumi.InputPropertyError);
  });

  it("balance the per-zone node groups, ignoring the labels that name their zone", () => {
    const values = clusterAutoscalerValues({
      clusterName: "c",
      region: "eu-west-1",
      kubernetesVersion: "1.33",
      roleArn: "arn",
    });
    expect(values.extraArgs).toMatchObject({
      "balance-similar-node-groups": true,
      "balancing-ignore-label": [...zoneSpecificNodeLabels],
      "skip-nodes-with-local-storage": false,
    });
    expect(values.autoDiscovery).toEqual({ clusterName: "c" });
    expect(values.rbac.serviceAccount.annotations).toEqual({ "eks.amazonaws.com/role-arn": "arn" });
  });

  it("keep ingress-nginx off any load balancer of its own, with the origin certificate as default", () => {
    const { controller } = ingressNginxValues({ vpcCidr: "10.40.0.0/16" });
    expect(controller.service.type).toBe("ClusterIP");
    expect(controller.extraArgs["default-ssl-certificate"]).toBe("ingress-nginx/origin-tls");
    expect(controller.config["proxy-real-ip-cidr"]).toBe("10.40.0.0/16");
    expect(controller.allowSnippetAnnotations).toBe(false);
    expect(controller.topologySpreadConstraints[0]).toMatchObject({
      topologyKey: "topology.kubernetes.io/zone",
    });
  });
});
