/**
 * Losing one availability zone, computed from the planned objects: every service keeps
 * ready pods at its minimum scale and can still have a node drained, and every data store
 * and the egress of the other zones keep working.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PlanIndex } from "../scripts/plan/plan-index.js";
import type { PlannedResource } from "../scripts/plan/plan-types.js";
import { planStack } from "../scripts/plan/run.js";
import { loadServiceRegistry, type RegisteredService } from "../services/registry.js";
import program from "./index.js";

let index: PlanIndex;
let services: RegisteredService[];
let zones: string[];

beforeAll(async () => {
  index = new PlanIndex(await planStack("prod", program));
  services = await loadServiceRegistry();
  zones = [...new Set(index.ofType("aws:ec2/subnet:Subnet").flatMap((s) => index.zonesOf(s) ?? []))].sort();
}, 120_000);

type Spec = Record<string, unknown>;
const specOf = (r: PlannedResource) => r.inputs["spec"] as Spec;
const named = (type: string, name: string) => {
  const found = index
    .ofType(type)
    .filter(
      (r) =>
        (r.inputs["metadata"] as { name?: string }).name === name &&
        (r.inputs["metadata"] as { namespace?: string }).namespace === "platform",
    );
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0]!;
};

interface Spread {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
}

/**
 * The most pods one zone can hold when `replicas` pods are spread over `zoneCount` zones.
 * A hard constraint (DoNotSchedule) keeps every zone within `maxSkew` of the emptiest, so
 * the fullest holds at most floor((replicas + (zoneCount - 1) * maxSkew) / zoneCount); a
 * soft one or none lets the scheduler put every pod in one zone.
 */
function mostPodsInOneZone(replicas: number, zoneCount: number, spread: Spread | undefined): number {
  if (spread?.whenUnsatisfiable !== "DoNotSchedule") return replicas;
  return Math.min(replicas, Math.floor((replicas + (zoneCount - 1) * spread.maxSkew) / zoneCount));
}

/** Evictions a PodDisruptionBudget allows with every one of `replicas` pods healthy. */
function disruptionsAllowed(budget: Spec, replicas: number): number {
  const amount = (value: unknown) =>
    typeof value === "string" && value.endsWith("%")
      ? Math.ceil((replicas * Number(value.slice(0, -1))) / 100)
      : Number(value);
  if (budget["maxUnavailable"] !== undefined) return Math.min(replicas, amount(budget["maxUnavailable"]));
  if (budget["minAvailable"] !== undefined) return Math.max(0, replicas - amount(budget["minAvailable"]));
  return replicas;
}

describe("the zone-failure model", () => {
  it("counts a zone's worst share of pods from the spread constraint", () => {
    const hard = {
      maxSkew: 1,
      topologyKey: "topology.kubernetes.io/zone",
      whenUnsatisfiable: "DoNotSchedule",
    };
    expect(mostPodsInOneZone(2, 3, hard)).toBe(1);
    expect(mostPodsInOneZone(3, 3, hard)).toBe(1);
    expect(mostPodsInOneZone(4, 3, hard)).toBe(2);
    expect(mostPodsInOneZone(2, 3, { ...hard, whenUnsatisfiable: "ScheduleAnyway" })).toBe(2);
    expect(mostPodsInOneZone(2, 3, { ...hard, maxSkew: 2 })).toBe(2);
  });

  it("counts the evictions a budget allows", () => {
    expect(disruptionsAllowed({ maxUnavailable: 1 }, 2)).toBe(1);
    expect(disruptionsAllowed({ minAvailable: 2 }, 2)).toBe(0);
    expect(disruptionsAllowed({ maxUnavailable: "25%" }, 2)).toBe(1);
  });
});

describe("losing any one zone", () => {
  it("the stack runs in three zones", () => {
    expect(zones).toHaveLength(3);
  });

  it("leaves every service at least one ready pod at its minimum scale", () => {
    expect(services.length).toBeGreaterThan(0);
    for (const service of services) {
      const scaler = specOf(named("kubernetes:keda.sh/v1alpha1:ScaledObject", service.name));
      expect((scaler["scaleTargetRef"] as { name: string }).name).toBe(service.name);
      const minimum = Number(scaler["minReplicaCount"]);
      const rollout = specOf(named("kubernetes:argoproj.io/v1alpha1:Rollout", service.name));
      const pod = (rollout["template"] as { spec: { topologySpreadConstraints?: Spread[] } }).spec;
      const zoneSpread = pod.topologySpreadConstraints?.find(
        (c) => c.topologyKey === "topology.kubernetes.io/zone",
      );
      const survivors = minimum - mostPodsInOneZone(minimum, zones.length, zoneSpread);
      expect(survivors, `${service.name} at ${minimum} pods`).toBeGreaterThanOrEqual(1);
    }
  });

  it("still lets a node be drained at minimum scale, one pod at a time, leaving one serving", () => {
    for (const service of services) {
      const minimum = Number(
        specOf(named("kubernetes:keda.sh/v1alpha1:ScaledObject", service.name))["minReplicaCount"],
      );
      const budget = specOf(named("kubernetes:policy/v1:PodDisruptionBudget", service.name));
      const allowed = disruptionsAllowed(budget, minimum);
      expect(allowed, service.name).toBeGreaterThanOrEqual(1);
      expect(minimum - allowed, service.name).toBeGreaterThanOrEqual(1);
    }
  });

  it("keeps Aurora writable: instances in every zone, so a writer fails over to another zone", () => {
    const instances = index.ofType("aws:rds/clusterInstance:ClusterInstance");
    const placed = instances.flatMap((i) => index.zonesOf(i) ?? []);
    expect([...new Set(placed)].sort()).toEqual(zones);
    for (const lost of zones) expect(placed.filter((z) => z !== lost).length, lost).toBeGreaterThanOrEqual(2);
  });

  it("keeps Redis serving: multi-AZ automatic failover with a node in every zone", () => {
    const [group] = index.ofType("aws:elasticache/replicationGroup:ReplicationGroup");
    expect(group!.inputs).toMatchObject({ automaticFailoverEnabled: true, multiAzEnabled: true });
    const placed = index.zonesOf(group!) ?? [];
    expect(placed).toEqual(zones);
    expect(group!.inputs["numCacheClusters"]).toBe(placed.length);
  });

  it("keeps OpenSearch serving: zone awareness over three zones, a master quorum left", () => {
    const [domain] = index.ofType("aws:opensearch/domain:Domain");
    const config = domain!.inputs["clusterConfig"] as Spec;
    const zoneCount = (config["zoneAwarenessConfig"] as { availabilityZoneCount: number })
      .availabilityZoneCount;
    expect(config["zoneAwarenessEnabled"]).toBe(true);
    expect(zoneCount).toBe(zones.length);
    expect(index.zonesOf(domain!)).toEqual(zones);
    const masters = Number(config["dedicatedMasterCount"]);
    expect(config["dedicatedMasterEnabled"]).toBe(true);
    expect(masters - Math.ceil(masters / zoneCount)).toBeGreaterThan(masters / 2);
    expect(Number(config["instanceCount"]) % zoneCount).toBe(0);
  });

  it("keeps Kafka writable: brokers in every zone, every topic keeps min.insync.replicas", () => {
    const [cluster] = index.ofType("aws:msk/cluster:Cluster");
    expect(index.zonesOf(cluster!)).toEqual(zones);
    expect(Number(cluster!.inputs["numberOfBrokerNodes"]) % zones.length).toBe(0);
    const topics = index.ofType("kafka:index/topic:Topic");
    expect(topics.length).toBeGreaterThan(0);
    for (const topic of topics) {
      const factor = Number(topic.inputs["replicationFactor"]);
      const minInsync = Number((topic.inputs["config"] as Record<string, string>)["min.insync.replicas"]);
      // MSK places a partition's replicas in distinct zones: one zone holds one of them.
      expect(factor, topic.name).toBeLessThanOrEqual(zones.length);
      expect(factor - 1, topic.name).toBeGreaterThanOrEqual(minInsync);
    }
  });

  it("never cuts another zone's egress: each private subnet routes through its own zone's NAT", () => {
    const associations = index.ofType("aws:ec2/routeTableAssociation:RouteTableAssociation");
    const tier = (s: PlannedResource) => (s.inputs["tags"] as Record<string, string>)["platform.io/tier"];
    const privateSubnets = index.ofType("aws:ec2/subnet:Subnet").filter((s) => tier(s) === "private");
    expect(privateSubnets).toHaveLength(zones.length);
    for (const subnet of privateSubnets) {
      const association = associations.find((a) => index.dependencies(a, "subnetId")[0]?.urn === subnet.urn)!;
      const [table] = index.dependencies(association, "routeTableId");
      const nats = index.dependencies(table!, "routes", "aws:ec2/natGateway:NatGateway");
      expect(
        nats.map((n) => index.zonesOf(n)),
        subnet.name,
      ).toEqual([index.zonesOf(subnet)]);
    }
  });
});
