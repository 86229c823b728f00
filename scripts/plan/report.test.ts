import { describe, expect, it } from "vitest";
import { manifestsOf } from "./manifests.js";
import type { Plan } from "./plan-types.js";
import { countByType, renderTree } from "./report.js";

const stack = "urn:pulumi:prod::platform::pulumi:pulumi:Stack::platform-prod";
const component = "urn:pulumi:prod::platform::platform:network:Network::net";
const plan: Plan = {
  stack: "prod",
  resources: [
    {
      urn: stack,
      type: "pulumi:pulumi:Stack",
      name: "platform-prod",
      parent: null,
      custom: false,
      inputs: {},
      dependencies: {},
    },
    {
      urn: component,
      type: "platform:network:Network",
      name: "net",
      parent: stack,
      custom: false,
      inputs: {},
      dependencies: {},
    },
    {
      urn: `${component}$aws:ec2/vpc:Vpc::net`,
      type: "aws:ec2/vpc:Vpc",
      name: "net",
      parent: component,
      custom: true,
      inputs: {},
      dependencies: {},
    },
    {
      urn: `${stack}$kubernetes:core/v1:Secret::catalog-postgres`,
      type: "kubernetes:core/v1:Secret",
      name: "catalog-postgres",
      parent: stack,
      custom: true,
      inputs: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { namespace: "platform" },
        stringData: "[secret]",
      },
      dependencies: {},
    },
    {
      urn: `${stack}$kubernetes:helm.sh/v3:Release::keda`,
      type: "kubernetes:helm.sh/v3:Release",
      name: "keda",
      parent: stack,
      custom: true,
      inputs: { chart: "keda" },
      dependencies: {},
    },
  ],
};

describe("plan report", () => {
  it("nests children under their parents", () => {
    expect(renderTree(plan).split("\n").slice(0, 3)).toEqual([
      "+ pulumi:pulumi:Stack  platform-prod",
      "  + platform:network:Network  net",
      "    + aws:ec2/vpc:Vpc  net",
    ]);
  });

  it("counts resources by type", () => {
    expect(countByType(plan)).toContainEqual(["aws:ec2/vpc:Vpc", 1]);
  });
});

describe("manifestsOf", () => {
  it("writes Kubernetes objects, named and namespaced, with secrets still masked", () => {
    const [secret, ...others] = manifestsOf(plan);
    expect(others).toEqual([]);
    expect(secret?.path).toBe("platform/secret-catalog-postgres.yaml");
    expect(secret?.yaml).toContain("name: catalog-postgres");
    expect(secret?.yaml).toContain('stringData: "[secret]"');
  });
});
