import { describe, expect, it } from "vitest";
import { ConfigError } from "./config.js";
import { faultsFromEnv, withSlowPath } from "./faults.js";

const allowed = { PLATFORM_ALLOW_FAULTS: "true" };

describe("faultsFromEnv", () => {
  it("is off when no fault is asked for", () => {
    expect(faultsFromEnv({ ...allowed })).toEqual({});
  });

  it("turns the slow path on only where PLATFORM_ALLOW_FAULTS=true", () => {
    expect(faultsFromEnv({ ...allowed, PLATFORM_FAULT_SLOW_MS: "300" })).toEqual({
      slowPath: { delayMs: 300 },
    });
    expect(
      faultsFromEnv({ ...allowed, PLATFORM_FAULT_SLOW_MS: "300", PLATFORM_FAULT_SLOW_ROUTE: "GetProduct" }),
    ).toEqual({ slowPath: { delayMs: 300, route: "GetProduct" } });
    for (const allow of [undefined, "1", "yes", "TRUE"]) {
      const settings = faultsFromEnv({ PLATFORM_FAULT_SLOW_MS: "300", PLATFORM_ALLOW_FAULTS: allow });
      expect(settings.slowPath).toBeUndefined();
      expect(settings.ignored).toContain("PLATFORM_ALLOW_FAULTS=true");
    }
  });

  it("never runs a fault with NODE_ENV=production, even when allowed", () => {
    const settings = faultsFromEnv({ ...allowed, NODE_ENV: "production", PLATFORM_FAULT_SLOW_MS: "300" });
    expect(settings.slowPath).toBeUndefined();
    expect(settings.ignored).toContain("NODE_ENV=production");
  });

  it("refuses a delay that is not a whole number of milliseconds from 1 to 60000", () => {
    for (const bad of ["0", "-5", "1.5", "abc", "60001"])
      expect(() => faultsFromEnv({ ...allowed, PLATFORM_FAULT_SLOW_MS: bad }), bad).toThrow(ConfigError);
  });
});

describe("withSlowPath", () => {
  const handler = async (request: string) => `${request}!`;
  const call = () => ({ signal: new AbortController().signal });

  it("leaves the handler untouched when off or for another route", () => {
    expect(withSlowPath(handler, "GetProduct", undefined)).toBe(handler);
    expect(withSlowPath(handler, "ListProducts", { delayMs: 50, route: "GetProduct" })).toBe(handler);
  });

  it("waits before the handler on the chosen route, or on every route without one", async () => {
    for (const fault of [{ delayMs: 60, route: "GetProduct" }, { delayMs: 60 }]) {
      const started = performance.now();
      expect(await withSlowPath(handler, "GetProduct", fault)("a", call())).toBe("a!");
      expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    }
  });

  it("stops waiting when the call is cancelled", async () => {
    const controller = new AbortController();
    const slowed = withSlowPath(handler, "GetProduct", { delayMs: 10_000 })("a", {
      signal: controller.signal,
    });
    controller.abort();
    await expect(slowed).rejects.toMatchObject({ name: "AbortError" });
  });
});
