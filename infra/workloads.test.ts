import { beforeAll, describe, expect, it } from "vitest";
import { PlanIndex } from "../scripts/plan/plan-index.js";
import { planStack } from "../scripts/plan/run.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import program from "./index.js";
import { publicHttpService } from "./workloads.js";

let index: PlanIndex;
let services: RegisteredService[];
beforeAll(async () => {
  index = new PlanIndex(await planStack("prod", program));
  services = await loadServiceRegistry();
}, 120_000);

const metadataOf = (r: { inputs: Record<string, unknown> }) =>
  r.inputs["metadata"] as { name: string; namespace?: string };

describe("the workloads of the prod plan", () => {
  it("run one Microservice per registered service, on one set of add-ons", () => {
    const microservices = index
      .ofType("platform:workload:Microservice")
      .map((r) => r.name)
      .sort();
    expect(microservices).toEqual(services.map((s) => `platform-prod-${s.name}`).sort());
    expect(index.ofType("platform:cluster:Addons")).toHaveLength(1);
    expect(index.ofType("platform:workload:ImageRegistry")).toHaveLength(1);
  });

  it("scale only through KEDA: one ScaledObject per Rollout and no HorizontalPodAutoscaler anywhere", () => {
    const scaled = index.ofType("kubernetes:keda.sh/v1alpha1:ScaledObject").map((r) => {
      const target = (r.inputs["spec"] as { scaleTargetRef: { kind: string; name: string } }).scaleTargetRef;
      return `${target.kind}/${target.name}`;
    });
    const rollouts = index
      .ofType("kubernetes:argoproj.io/v1alpha1:Rollout")
      .map((r) => `Rollout/${metadataOf(r).name}`);
    expect(scaled.sort()).toEqual(rollouts.sort());
    expect(
      index.plan.resources.filter((r) => /HorizontalPodAutoscaler|apps\/v1:Deployment/.test(r.type)),
    ).toEqual([]);
  });

  it("run every service on the stack's release image from its own repository", () => {
    for (const rollout of index.ofType("kubernetes:argoproj.io/v1alpha1:Rollout")) {
      const name = metadataOf(rollout).name;
      const image = (rollout.inputs["spec"] as { template: { spec: { containers: { image: string }[] } } })
        .template.spec.containers[0]!.image;
      expect(image).toBe(
        `123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform-prod/${name}:2026.11.25-1a2b3c4`,
      );
    }
  });

  it("deny all traffic in the workload namespace once, then open each service's own", () => {
    const policies = index.ofType("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    const denyAll = policies.filter(
      (p) => JSON.stringify(p.inputs["spec"]) === '{"podSelector":{},"policyTypes":["Ingress","Egress"]}',
    );
    expect(denyAll.map((p) => metadataOf(p))).toEqual([
      { name: "default-deny", namespace: "platform", labels: expect.anything() },
    ]);
    expect(policies).toHaveLength(services.length + 1);
  });

  it("route the API host's Ingress to the one public HTTP service", () => {
    const [ingress] = index.ofType("kubernetes:networking.k8s.io/v1:Ingress");
    expect(JSON.stringify(ingress!.inputs["spec"])).toContain(`"name":"${publicHttpService(services).name}"`);
    expect(() => publicHttpService(services.filter((s) => s.protocol !== "http"))).toThrow(
      /exactly one public HTTP/,
    );
  });

  it("are enforced: the VPC CNI add-on runs with network policy enabled", () => {
    const cni = index.ofType("aws:eks/addon:Addon").find((a) => a.inputs["addonName"] === "vpc-cni")!;
    expect(JSON.parse(cni.inputs["configurationValues"] as string)).toEqual({ enableNetworkPolicy: "true" });
  });

  it("bind the ingress to the Edge's target group", () => {
    const [binding] = index.ofType("kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding");
    const [group] = index.ofType("aws:lb/targetGroup:TargetGroup");
    expect(index.dependencies(binding!, "spec").map((r) => r.urn)).toContain(group!.urn);
  });
});
