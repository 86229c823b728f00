import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { type DataStoreArgs, validateDataStoreArgs } from "./data-store.js";

const args: DataStoreArgs = {
  zones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  vpcId: "vpc-0123456789abcdef0",
  subnetIds: ["subnet-a", "subnet-b", "subnet-c"],
  allowedSecurityGroupIds: ["sg-nodes"],
  services: [],
  k8sProvider: new k8s.Provider("data-store-test-k8s", { kubeconfig: "{}" }),
  namespace: "platform",
  tags: { owner: "platform-team" },
};

describe("validateDataStoreArgs", () => {
  it("accepts three zones, a subnet per zone, an allowed group and a namespace name", () => {
    expect(() => validateDataStoreArgs(args)).not.toThrow();
  });

  it("refuses two zones, or subnets that are not one per zone", () => {
    expect(() => validateDataStoreArgs({ ...args, zones: ["eu-west-1a", "eu-west-1b"] })).toThrow(
      /exactly 3 availability zones/,
    );
    expect(() => validateDataStoreArgs({ ...args, subnetIds: ["subnet-a", "subnet-b"] })).toThrow(
      /one per availability zone \(3\), got 2/,
    );
  });

  it("refuses a store no security group may reach", () => {
    expect(() => validateDataStoreArgs({ ...args, allowedSecurityGroupIds: [] })).toThrow(
      /at least one security group/,
    );
  });

  it("refuses a plain namespace Kubernetes would reject, and leaves an Output one to Kubernetes", () => {
    for (const namespace of ["Platform", "platform_ns", "-platform", "x".repeat(64)])
      expect(() => validateDataStoreArgs({ ...args, namespace })).toThrow(/not a Kubernetes namespace name/);
    expect(() => validateDataStoreArgs({ ...args, namespace: pulumi.output("platform") })).not.toThrow();
  });
});
