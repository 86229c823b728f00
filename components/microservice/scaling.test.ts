import { beforeAll, describe, expect, it } from "vitest";
import { loadServiceRegistry, type RegisteredService } from "../../services/registry.js";
import { scaledObjectSpec } from "./scaling.js";

let byName: Map<string, RegisteredService>;
beforeAll(async () => {
  byName = new Map((await loadServiceRegistry()).map((s) => [s.name, s]));
});
const options = { rolloutName: "x", prometheusAddress: "http://prom:9090", consumerLagPerPod: 500 };
const spec = (name: string) => scaledObjectSpec(byName.get(name)!, { ...options, rolloutName: name });

describe("scaledObjectSpec", () => {
  it("scales the service's Rollout between the registry's bounds", () => {
    expect(spec("orders")).toMatchObject({
      scaleTargetRef: { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "orders" },
      minReplicaCount: 2,
      maxReplicaCount: 20,
    });
    expect(spec("catalog").minReplicaCount).toBe(3);
  });

  it("adds pods on CPU utilisation and on the per-pod average queue depth", () => {
    const [cpu, queue, ...rest] = spec("orders").triggers;
    expect(cpu).toEqual({ type: "cpu", name: "cpu", metricType: "Utilization", metadata: { value: "70" } });
    expect(queue).toEqual({
      type: "prometheus",
      name: "queue-depth",
      metricType: "AverageValue",
      metadata: {
        serverAddress: "http://prom:9090",
        query: 'sum(platform_request_queue_depth{service="orders"})',
        threshold: "20",
      },
    });
    expect(rest).toEqual([]);
  });

  it("adds consumer lag for services that consume events, and only for them", () => {
    const lag = spec("search").triggers.find((t) => t.name === "consumer-lag");
    expect(lag?.metadata).toMatchObject({
      query: 'sum(platform_consumer_lag{service="search"})',
      threshold: "500",
    });
    expect(spec("gateway").triggers.map((t) => t.name)).toEqual(["cpu", "queue-depth"]);
  });
});
