import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { recorded } from "../../test/pulumi.js";
import { createLogGroup } from "./log-group.js";

class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:shared:LogGroupHolder", name, {}, {});
  }
}

describe("createLogGroup", () => {
  const holder = new Holder("logs-holder");
  createLogGroup(
    "logs-holder-slow-log",
    { logGroupName: "/platform/test/slow-log", retentionInDays: 30, tags: { owner: "platform-team" } },
    holder,
  );

  it("creates the named group with its retention, tagged with its logical name", async () => {
    const groups = await recorded("aws:cloudwatch/logGroup:LogGroup", holder);
    expect(groups.map((g) => g.name)).toEqual(["logs-holder-slow-log"]);
    expect(groups[0]!.inputs).toEqual({
      name: "/platform/test/slow-log",
      retentionInDays: 30,
      tags: { owner: "platform-team", Name: "logs-holder-slow-log" },
    });
  });
});
