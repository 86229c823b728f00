import { describe, expect, it } from "vitest";
import { escalationRules, notificationRoutes, rotationLayer } from "./paging.js";

describe("escalationRules", () => {
  it("pages the schedule first, then the escalation contacts", () => {
    expect(escalationRules("PSCHED1", ["PUSER1", "PUSER2"])).toEqual([
      { escalationDelayInMinutes: 15, targets: [{ type: "schedule_reference", id: "PSCHED1" }] },
      {
        escalationDelayInMinutes: 15,
        targets: [
          { type: "user_reference", id: "PUSER1" },
          { type: "user_reference", id: "PUSER2" },
        ],
      },
    ]);
  });

  it("has only the schedule level without escalation contacts", () => {
    expect(escalationRules("PSCHED1", [])).toHaveLength(1);
  });
});

describe("rotationLayer", () => {
  it("hands over every handoffDays at the start's time of day", () => {
    expect(rotationLayer({ userIds: ["PA", "PB"], start: "2026-01-05T09:00:00Z", handoffDays: 7 })).toEqual({
      name: "primary",
      start: "2026-01-05T09:00:00Z",
      rotationVirtualStart: "2026-01-05T09:00:00Z",
      rotationTurnLengthSeconds: 604800,
      users: ["PA", "PB"],
    });
  });

  it("refuses an empty rotation", () => {
    expect(() => rotationLayer({ userIds: [], start: "2026-01-05T09:00:00Z", handoffDays: 7 })).toThrow(
      /at least one person/,
    );
  });
});

describe("notificationRoutes", () => {
  it("sends critical alerts to the contact point faster and more often than the rest", () => {
    const { root, critical } = notificationRoutes("pagerduty");
    expect(critical.matchers).toEqual([{ label: "severity", match: "=", value: "critical" }]);
    expect(critical.contactPoint).toBe("pagerduty");
    const seconds = (d: string) =>
      Number.parseInt(d, 10) * (d.endsWith("h") ? 3600 : d.endsWith("m") ? 60 : 1);
    expect(seconds(critical.groupWait)).toBeLessThan(seconds(root.groupWait));
    expect(seconds(critical.repeatInterval)).toBeLessThan(seconds(root.repeatInterval));
  });
});
