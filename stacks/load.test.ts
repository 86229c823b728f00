import { describe, expect, it } from "vitest";
import { readStackConfig } from "../scripts/plan/stack-config.js";
import { StackConfigError } from "./errors.js";
import { parsePlatformSpec, readPlatformSpec } from "./load.js";

const prodConfig = readStackConfig("prod").values;
const reader = (values: Record<string, string | undefined>) => (key: string) => values[key];
const readWith = (changes: Record<string, string | undefined>) =>
  readPlatformSpec("prod", reader({ ...prodConfig, ...changes }));
const network = JSON.parse(prodConfig["platform:network"]!);

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof StackConfigError) return [...err.problems];
    throw err;
  }
  throw new Error("expected a StackConfigError");
}

describe("readPlatformSpec", () => {
  it.each(["prod", "staging"])("accepts the committed %s stack", (stack) => {
    const spec = readPlatformSpec(stack, reader(readStackConfig(stack).values));
    expect(spec.environment).toBe(stack);
    expect(spec.network.zones).toHaveLength(3);
  });

  it("applies documented defaults for omitted optional keys", () => {
    const { flowLogRetentionDays: _, ...rest } = network;
    const spec = readWith({ "platform:network": JSON.stringify(rest) });
    expect(spec.network.flowLogRetentionDays).toBe(365);
  });

  it("names a missing section by its config key and shows the expected shape", () => {
    const [problem] = problemsOf(() => readWith({ "platform:redis": undefined }));
    expect(problem).toBe(
      "platform:redis: is missing; expected an object { engineVersion, nodeType, snapshotRetentionDays? }",
    );
  });

  it("names a missing nested key", () => {
    const { nodeType: _, ...redis } = JSON.parse(prodConfig["platform:redis"]!);
    const [problem] = problemsOf(() => readWith({ "platform:redis": JSON.stringify(redis) }));
    expect(problem).toMatch(
      /^platform:redis\.nodeType: is missing; expected the node type, e\.g\. "cache\.r7g\.large"$/,
    );
  });

  it("refuses two zones, quoting the value and the expected shape", () => {
    const [problem] = problemsOf(() =>
      readWith({ "platform:network": JSON.stringify({ ...network, zones: ["eu-west-1a", "eu-west-1b"] }) }),
    );
    expect(problem).toContain("platform:network.zones:");
    expect(problem).toContain("expected exactly three distinct availability zones of aws:region");
    expect(problem).toContain('got ["eu-west-1a","eu-west-1b"]');
  });

  it("refuses a zone outside the stack's region, pointing at the element", () => {
    const zones = ["eu-west-1a", "eu-west-1b", "us-east-1c"];
    const [problem] = problemsOf(() =>
      readWith({ "platform:network": JSON.stringify({ ...network, zones }) }),
    );
    expect(problem).toMatch(/^platform:network\.zones\[2\]: zone "us-east-1c" is not in region eu-west-1/);
  });

  it("refuses an API server open to the whole internet", () => {
    const cluster = { ...JSON.parse(prodConfig["platform:cluster"]!), publicAccessCidrs: ["0.0.0.0/0"] };
    const [problem] = problemsOf(() => readWith({ "platform:cluster": JSON.stringify(cluster) }));
    expect(problem).toMatch(/^platform:cluster\.publicAccessCidrs: 0\.0\.0\.0\/0 would open the API server/);
  });

  it("refuses an unknown key instead of silently ignoring a typo", () => {
    const problems = problemsOf(() =>
      readWith({ "platform:network": JSON.stringify({ ...network, zone: "x" }) }),
    );
    expect(problems[0]).toMatch(/^platform:network: Unrecognized key: "zone"/);
  });

  it("reports a value that is not JSON by its key", () => {
    const [problem] = problemsOf(() => readWith({ "platform:edge": "{not json" }));
    expect(problem).toBe('platform:edge: is not valid JSON; got "{not json"');
  });

  it("reports the region under its own config key", () => {
    const problems = problemsOf(() => readWith({ "aws:region": "Ireland" }));
    expect(problems[0]).toMatch(/^aws:region: .*expected the AWS region, e\.g\. "eu-west-1"; got "Ireland"$/);
  });

  it("lists every problem at once", () => {
    expect(
      problemsOf(() => readWith({ "platform:redis": undefined, "platform:kafka": undefined })),
    ).toHaveLength(2);
  });

  it("refuses a release that is not pinned to one build", () => {
    const [problem] = problemsOf(() =>
      readWith({ "platform:release": JSON.stringify({ version: "latest" }) }),
    );
    expect(problem).toMatch(/^platform:release\.version: not a release version \(never "latest"\)/);
  });

  it("applies the observability defaults when the section is left out", () => {
    const spec = readWith({ "platform:observability": undefined });
    expect(spec.observability).toEqual({
      baselineSamplingPercent: 10,
      retentionDays: { metrics: 395, logs: 30, traces: 14 },
    });
  });

  it("refuses an on-call entry that is not an email address, naming the element", () => {
    const alerting = JSON.parse(prodConfig["platform:alerting"]!);
    const [problem] = problemsOf(() =>
      readWith({
        "platform:alerting": JSON.stringify({
          ...alerting,
          onCall: { ...alerting.onCall, emails: ["alice"] },
        }),
      }),
    );
    expect(problem).toMatch(
      /^platform:alerting\.onCall\.emails\[0\]: .*expected login emails of the PagerDuty users on call/,
    );
  });

  it("refuses a sampling percentage above 100", () => {
    const [problem] = problemsOf(() =>
      readWith({ "platform:observability": JSON.stringify({ baselineSamplingPercent: 150 }) }),
    );
    expect(problem).toMatch(/^platform:observability\.baselineSamplingPercent: .*got 150$/);
  });

  it("rejects an environment that does not exist", () => {
    const problems = problemsOf(() => parsePlatformSpec("dev", { environment: "dev" }));
    expect(problems[0]).toMatch(
      /^platform:environment: .*expected the environment, one of "prod" or "staging"; got "dev"$/,
    );
  });
});
