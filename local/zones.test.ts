import { describe, expect, it } from "vitest";
import { loadServiceRegistry } from "../services/registry.js";
import { replicaList, zoneLabel, zonePort, zonesOf } from "./zones.js";

describe("local zones", () => {
  it("keeps the registry's ports in zone a and moves zones b and c 100 and 200 ports up", () => {
    expect([zonePort(7102, "a"), zonePort(7102, "b"), zonePort(7102, "c")]).toEqual([7102, 7202, 7302]);
    expect([zonePort(8080, "a"), zonePort(8080, "b"), zonePort(8080, "c")]).toEqual([8080, 8180, 8280]);
  });

  it("gives no two replicas of any services the same port in three zones", async () => {
    const services = await loadServiceRegistry();
    const ports = zonesOf(3).flatMap((zone) =>
      services.map((s) => zonePort(s.protocol === "http" ? 8080 : s.port, zone)),
    );
    expect(new Set(ports).size).toBe(ports.length);
  });

  it("lists every zone's replica as a caller's address", () => {
    expect(replicaList(7102, zonesOf(3))).toBe("127.0.0.1:7102,127.0.0.1:7202,127.0.0.1:7302");
    expect(replicaList(7102, zonesOf(1))).toBe("127.0.0.1:7102");
  });

  it("labels replicas by zone when there are several, and `local` when there is one", () => {
    expect(zonesOf(3).map((zone) => zoneLabel(zone, zonesOf(3)))).toEqual(["a", "b", "c"]);
    expect(zoneLabel("a", zonesOf(1))).toBe("local");
  });

  it("refuses a number of zones other than 1 to 3", () => {
    for (const count of [0, 4, 1.5]) expect(() => zonesOf(count)).toThrow(/from 1 to 3/);
  });
});
