import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { manifestsOf } from "../scripts/plan/manifests.js";
import { planStack } from "../scripts/plan/run.js";
import { kindKey, knownKinds, validateKubernetesObject } from "../test/kubernetes-schema.js";
import program from "./index.js";

type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

/** Every Kubernetes object of the prod plan, as `npm run plan -- --manifests` writes it. */
let objects: { path: string; object: K8sObject }[];

beforeAll(async () => {
  const plan = await planStack("prod", program);
  objects = manifestsOf(plan).map((file) => ({ path: file.path, object: parse(file.yaml) as K8sObject }));
}, 120_000);

const one = (kind: string, name: string) => {
  const found = objects.find((o) => o.object["kind"] === kind && o.object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the plan`);
  return structuredClone(found.object);
};

describe("the prod plan's Kubernetes objects", () => {
  it("are all of kinds whose schema is known, and every such kind is used", () => {
    const kinds = new Set(objects.map((o) => kindKey(o.object)));
    expect([...kinds].sort()).toEqual([...knownKinds].sort());
  });

  it("all validate against their schemas, with no field the schema lacks", async () => {
    const problems: string[] = [];
    for (const { path, object } of objects)
      for (const problem of await validateKubernetesObject(object)) problems.push(`${path}: ${problem}`);
    expect(problems).toEqual([]);
    expect(objects.length).toBeGreaterThan(80);
  }, 60_000);
});

describe("the schema check", () => {
  it("refuses a misspelled canary step field, naming its path", async () => {
    const rollout = one("Rollout", "catalog");
    const steps = (rollout["spec"] as { strategy: { canary: { steps: Record<string, unknown>[] } } }).strategy
      .canary.steps;
    steps[0] = { setWieght: steps[0]!["setWeight"] };
    expect(await validateKubernetesObject(rollout)).toEqual([
      "unknown field spec.strategy.canary.steps[0].setWieght",
    ]);
  });

  it("refuses a misspelled field deep in the pod template and in a KEDA trigger", async () => {
    const rollout = one("Rollout", "search");
    const spec = rollout["spec"] as { template: { spec: { containers: Record<string, unknown>[] } } };
    spec.template.spec.containers[0]!["readinesProbe"] = {};
    expect(await validateKubernetesObject(rollout)).toEqual([
      "unknown field spec.template.spec.containers[0].readinesProbe",
    ]);
    const scaler = one("ScaledObject", "search");
    (scaler["spec"] as { triggers: Record<string, unknown>[] }).triggers[0]!["metaData"] = {};
    expect(await validateKubernetesObject(scaler)).toEqual(["unknown field spec.triggers[0].metaData"]);
  });

  it("refuses a wrong type and a missing required field through the generated schemas", async () => {
    const budget = one("PodDisruptionBudget", "orders");
    (budget["spec"] as Record<string, unknown>)["unhealthyPodEvictionPolicy"] = 7;
    expect((await validateKubernetesObject(budget)).join()).toMatch(/^schema: .*unhealthyPodEvictionPolicy/);
    const binding = one("TargetGroupBinding", "ingress-nginx");
    delete (binding["spec"] as Record<string, unknown>)["serviceRef"];
    expect(await validateKubernetesObject(binding)).toContain("spec.serviceRef: name and port are required");
  });

  it("leaves maps open: any label key is a field", async () => {
    const account = one("ServiceAccount", "gateway");
    (account["metadata"] as unknown as { labels: Record<string, string> }).labels[
      "team.example.com/anything"
    ] = "x";
    expect(await validateKubernetesObject(account)).toEqual([]);
  });
});
