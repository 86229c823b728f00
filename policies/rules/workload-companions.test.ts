import { describe, expect, it } from "vitest";
import { changed, check, defaultDeny, find, k8sObject, messages, microservice } from "../test/fixtures.js";
import {
  workloadAutoscaler,
  workloadCompanionPolicies,
  workloadDefaultDeny,
  workloadDisruptionBudget,
  workloadProgressiveDelivery,
} from "./workload-companions.js";

const service = [...microservice("orders"), defaultDeny()];
const without = (kind: string) => service.filter((r) => r !== find(service, kind));
const replacing = (kind: string, change: (spec: Record<string, unknown>) => void) =>
  service.map((r) =>
    r === find(service, kind) ? changed(r, (c) => change(c.inputs["spec"] as Record<string, unknown>)) : r,
  );

describe("workload companion policies", () => {
  it("pass a Rollout with its PDB, autoscaler, analysis template and a default-deny namespace", async () => {
    expect(messages(await check(workloadCompanionPolicies, service))).toEqual([]);
  });

  it("flag a workload without a PodDisruptionBudget, and one that blocks drains", async () => {
    expect(messages(await check(workloadDisruptionBudget, without("PodDisruptionBudget")))).toEqual([
      "Rollout orders has no PodDisruptionBudget",
    ]);
    const blocking = await check(
      workloadDisruptionBudget,
      replacing("PodDisruptionBudget", (s) => (s["maxUnavailable"] = 0)),
    );
    expect(messages(blocking)).toEqual([
      "PodDisruptionBudget orders allows no disruption, so nodes can never drain",
    ]);
  });

  it("flag a missing or doubled autoscaler", async () => {
    expect(messages(await check(workloadAutoscaler, without("ScaledObject")))).toEqual([
      "Rollout orders has 0 autoscalers; expected exactly one",
    ]);
    const hpa = k8sObject("autoscaling/v2", "HorizontalPodAutoscaler", "orders", {
      scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "orders" },
      minReplicas: 2,
      maxReplicas: 10,
    });
    expect(messages(await check(workloadAutoscaler, [...service, hpa]))).toEqual([
      "Rollout orders has 2 autoscalers; expected exactly one",
    ]);
  });

  it("flag autoscaler bounds outside 2..20, KEDA's defaults included", async () => {
    const unbounded = replacing("ScaledObject", (s) => {
      delete s["minReplicaCount"];
      delete s["maxReplicaCount"];
    });
    expect(messages(await check(workloadAutoscaler, unbounded))).toEqual([
      "ScaledObject orders may scale down to 0; at least 2",
      "ScaledObject orders may scale up to 100; at most 20",
    ]);
  });

  it("take autoscaler bounds from the config", async () => {
    const run = await check(workloadAutoscaler, service, {
      config: { "workload-autoscaler": { minReplicas: 3, maxReplicas: 10 } },
    });
    expect(messages(run)).toEqual([
      "ScaledObject orders may scale down to 2; at least 3",
      "ScaledObject orders may scale up to 20; at most 10",
    ]);
  });

  it("flag a canary step without analysis, and a template that does not exist", async () => {
    const ungated = replacing("Rollout", (s) => {
      s["strategy"] = {
        canary: {
          steps: [
            { setWeight: 20 },
            { pause: {} },
            { setWeight: 50 },
            { analysis: { templates: [{ templateName: "nope" }] } },
          ],
        },
      };
    });
    expect(messages(await check(workloadProgressiveDelivery, ungated))).toEqual([
      "Rollout orders: canary step setWeight 20 is not followed by an analysis step",
      "Rollout orders runs AnalysisTemplate nope, which is not declared",
    ]);
  });

  it("accept background analysis, and blue-green only with pre-promotion analysis", async () => {
    const background = replacing("Rollout", (s) => {
      s["strategy"] = {
        canary: {
          analysis: { templates: [{ templateName: "orders-analysis" }] },
          steps: [{ setWeight: 20 }, { pause: {} }],
        },
      };
    });
    expect(messages(await check(workloadProgressiveDelivery, background))).toEqual([]);
    const blueGreen = replacing(
      "Rollout",
      (s) => (s["strategy"] = { blueGreen: { activeService: "orders", autoPromotionEnabled: false } }),
    );
    expect(messages(await check(workloadProgressiveDelivery, blueGreen))).toEqual([
      "Rollout orders: blue-green without prePromotionAnalysis",
    ]);
  });

  it("flag a plain Deployment, and count one a Rollout takes over through workloadRef as the Rollout", async () => {
    const rollout = find(service, "Rollout");
    const deployment = changed(rollout, (r) => {
      r.type = "kubernetes:apps/v1:Deployment";
      r.urn = r.urn.replace("Rollout", "Deployment");
      Object.assign(r.inputs, { apiVersion: "apps/v1", kind: "Deployment" });
      (r.inputs["spec"] as Record<string, unknown>)["strategy"] = undefined;
    });
    const plain = [...without("Rollout"), deployment];
    expect(messages(await check(workloadProgressiveDelivery, plain))).toEqual([
      "Deployment orders rolls out unguarded; serve it through an Argo Rollout",
    ]);
    const referencing = changed(rollout, (r) => {
      const spec = r.inputs["spec"] as Record<string, unknown>;
      delete spec["template"];
      spec["workloadRef"] = { apiVersion: "apps/v1", kind: "Deployment", name: "orders" };
    });
    const takenOver = [...without("Rollout"), deployment, referencing];
    expect(messages(await check(workloadCompanionPolicies, takenOver))).toEqual([]);
  });

  it("flag a namespace without a default-deny NetworkPolicy", async () => {
    expect(messages(await check(workloadDefaultDeny, service.slice(0, -1)))).toEqual([
      "namespace platform runs workloads without a default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules)",
    ]);
  });
});
