import { describe, expect, it } from "vitest";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import { changed, check, find, messages, microservice } from "../test/fixtures.js";
import {
  mutableImage,
  workloadHostIsolation,
  workloadImagePinned,
  workloadPolicies,
  workloadProbes,
  workloadResources,
  workloadSecurityContext,
  workloadZoneSpread,
} from "./workloads.js";

const rollout = find(microservice("orders"), "Rollout");
type Pod = { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
/** The rollout with its pod template changed. */
const withPod = (change: (pod: Pod) => void): PlannedResource =>
  changed(rollout, (r) => change((r.inputs["spec"] as { template: Pod }).template));
const firstContainer = (pod: Pod) => pod.spec.containers[0]!;

describe("pod template policies", () => {
  it("pass a hardened, probed, spread, pinned Rollout", async () => {
    expect(messages(await check(workloadPolicies, [rollout]))).toEqual([]);
  });

  it("flag a container without limits", async () => {
    const run = await check(workloadResources, [
      withPod((p) => (firstContainer(p)["resources"] = { requests: { cpu: "1", memory: "1Gi" } })),
    ]);
    expect(messages(run)).toEqual(["Rollout orders: container orders has no limits.cpu, limits.memory"]);
  });

  it("flag root, a writable root filesystem, privilege and kept capabilities", async () => {
    const run = await check(workloadSecurityContext, [
      withPod((p) => {
        p.spec["securityContext"] = {};
        firstContainer(p)["securityContext"] = { privileged: true, capabilities: { add: ["NET_ADMIN"] } };
      }),
    ]);
    expect(messages(run)).toEqual([
      "Rollout orders: container orders: runAsNonRoot is not true; readOnlyRootFilesystem is not true; privileged; allowPrivilegeEscalation is not false; capabilities.drop lacks ALL; adds capabilities NET_ADMIN",
    ]);
  });

  it("flag host networking and hostPath volumes", async () => {
    const run = await check(workloadHostIsolation, [
      withPod((p) =>
        Object.assign(p.spec, {
          hostNetwork: true,
          volumes: [{ name: "docker", hostPath: { path: "/var/run" } }],
        }),
      ),
    ]);
    expect(messages(run)).toEqual([
      "Rollout orders: hostNetwork is true",
      "Rollout orders: volume docker is a hostPath",
    ]);
  });

  it("flag a container without probes", async () => {
    const run = await check(workloadProbes, [withPod((p) => delete firstContainer(p)["livenessProbe"])]);
    expect(messages(run)).toEqual(["Rollout orders: container orders has no livenessProbe"]);
  });

  it("flag a workload not spread over zones", async () => {
    const run = await check(workloadZoneSpread, [withPod((p) => delete p.spec["topologySpreadConstraints"])]);
    expect(messages(run)).toEqual([
      "Rollout orders: no topologySpreadConstraint on topology.kubernetes.io/zone",
    ]);
  });

  it("flag an image on latest", async () => {
    const run = await check(workloadImagePinned, [
      withPod((p) => (firstContainer(p)["image"] = "ghcr.io/acme/orders:latest")),
    ]);
    expect(messages(run)).toEqual([
      'Rollout orders: container orders image ghcr.io/acme/orders:latest uses the moving tag "latest"',
    ]);
  });

  it("apply to any workload kind, not to other objects", async () => {
    const deployment = changed(rollout, (r) => {
      r.type = "kubernetes:apps/v1:Deployment";
      r.inputs["kind"] = "Deployment";
      (r.inputs["spec"] as { template: Pod }).template.spec.containers[0]!["image"] = "nginx";
    });
    const run = await check(workloadImagePinned, [
      deployment,
      find(microservice("orders"), "PodDisruptionBudget"),
    ]);
    expect(messages(run)).toEqual([
      "Deployment orders: container orders image nginx has no tag, which means latest",
    ]);
  });
});

describe("image references", () => {
  const pattern = /^(v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?|[0-9a-f]{7,40})$/;
  it.each([
    [`registry.example.com:5000/orders@sha256:${"b".repeat(64)}`, undefined],
    ["registry.example.com:5000/orders:v1.4.2", undefined],
    ["orders:1a2b3c4", undefined],
    ["registry.example.com:5000/orders", "has no tag, which means latest"],
    ["orders:stable", 'uses the moving tag "stable"'],
    ["orders:release", 'tag "release" is neither a digest nor an immutable version or commit tag'],
  ])("%s", (image, expected) => {
    expect(mutableImage(image, ["latest", "stable"], pattern)).toBe(expected);
  });
});
