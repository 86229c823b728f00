import { describe, expect, it } from "vitest";
import { redisNames, redisParameterGroupFamily, redisParameters, redisUrl } from "./redis-plan.js";

describe("redisParameterGroupFamily", () => {
  it.each([
    ["7.1", "redis7"],
    ["7.0", "redis7"],
    ["6.2", "redis6.x"],
  ])("derives the family of %s", (version, family) => {
    expect(redisParameterGroupFamily(version)).toBe(family);
  });

  it("knows no family before Redis 6", () => {
    expect(redisParameterGroupFamily("5.0")).toBeUndefined();
  });
});

describe("redisParameters", () => {
  it("never evicts keys without a TTL and logs commands slower than 10 ms", () => {
    expect(redisParameters).toContainEqual({ name: "maxmemory-policy", value: "volatile-lru" });
    expect(redisParameters).toContainEqual({ name: "slowlog-log-slower-than", value: "10000" });
  });
});

describe("redisNames", () => {
  it("names the Secret after the service and prefixes its keys with its name", () => {
    expect(redisNames("catalog")).toEqual({ secret: "catalog-redis", keyPrefix: "catalog:" });
  });
});

describe("redisUrl", () => {
  it("uses TLS (rediss) and the token as the default user's password", () => {
    expect(redisUrl("master.example", 6379, "t/k")).toBe("rediss://:t%2Fk@master.example:6379");
  });
});
