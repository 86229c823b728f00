import { describe, expect, it } from "vitest";
import { canarySteps, managedServiceNames, rolloutStrategy } from "./rollout-steps.js";

const canary = {
  name: "catalog",
  rollout: { strategy: "canary" as const, weights: [10, 25, 50], pause: "2m" },
};
const blueGreen = { name: "identity", rollout: { strategy: "blueGreen" as const, autoPromote: false } };

describe("canary steps", () => {
  it("shift each weight, hold for the pause, then analyse, in the spec's order", () => {
    const steps = canarySteps([10, 25, 50], "2m", "catalog", "catalog-analysis");
    expect(steps.map((s) => Object.keys(s)[0])).toEqual([
      ...["setWeight", "pause", "analysis"],
      ...["setWeight", "pause", "analysis"],
      ...["setWeight", "pause", "analysis"],
    ]);
    expect(steps.filter((s) => "setWeight" in s).map((s) => (s as { setWeight: number }).setWeight)).toEqual([
      10, 25, 50,
    ]);
    expect(steps[1]).toEqual({ pause: { duration: "2m" } });
  });

  it("analyse the latest revision of the service with its template", () => {
    const [, , analysis] = canarySteps([20], "5m", "search", "search-analysis");
    expect(analysis).toEqual({
      analysis: {
        templates: [{ templateName: "search-analysis" }],
        args: [
          { name: "service", value: "search" },
          { name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } },
        ],
      },
    });
  });
});

describe("rolloutStrategy", () => {
  it("gives a canary its canary and stable Services and never loses capacity while surging", () => {
    const { canary: strategy } = rolloutStrategy(canary, "catalog-analysis") as {
      canary: Record<string, unknown>;
    };
    expect(strategy).toMatchObject({
      canaryService: "catalog-canary",
      stableService: "catalog-stable",
      maxUnavailable: 0,
    });
    expect(strategy["steps"]).toHaveLength(9);
    expect(managedServiceNames(canary)).toEqual(["catalog-canary", "catalog-stable"]);
  });

  it("gives blue-green an active and a preview Service, pre-promotion analysis and the spec's promotion", () => {
    const { blueGreen: strategy } = rolloutStrategy(blueGreen, "identity-analysis") as {
      blueGreen: Record<string, unknown>;
    };
    expect(strategy).toMatchObject({
      activeService: "identity",
      previewService: "identity-preview",
      autoPromotionEnabled: false,
      prePromotionAnalysis: { templates: [{ templateName: "identity-analysis" }] },
    });
    expect(managedServiceNames(blueGreen)).toEqual(["identity-preview"]);
    const auto = rolloutStrategy(
      { ...blueGreen, rollout: { strategy: "blueGreen", autoPromote: true } },
      "t",
    );
    expect((auto as { blueGreen: { autoPromotionEnabled: boolean } }).blueGreen.autoPromotionEnabled).toBe(
      true,
    );
  });
});
