import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { maskSecrets } from "./recorder.js";
import { readStackConfig, secretPlaceholder } from "./stack-config.js";

function stackFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-"));
  writeFileSync(join(dir, "Pulumi.test.yaml"), yaml);
  return dir;
}

describe("readStackConfig", () => {
  it("flattens objects to JSON, keeps scalars as strings and replaces secure values", () => {
    const dir = stackFile(
      "config:\n  aws:region: eu-west-1\n  platform:network:\n    zones: [a, b]\n  cloudflare:apiToken:\n    secure: v1:abc\n",
    );
    const config = readStackConfig("test", dir);
    expect(config.values).toEqual({
      "aws:region": "eu-west-1",
      "platform:network": '{"zones":["a","b"]}',
      "cloudflare:apiToken": secretPlaceholder("cloudflare:apiToken"),
    });
    expect(config.secretKeys).toEqual(["cloudflare:apiToken"]);
  });

  it("replaces a secure value nested in an object and marks its key secret", () => {
    const dir = stackFile("config:\n  platform:alerting:\n    token:\n      secure: v1:xyz\n");
    const config = readStackConfig("test", dir);
    expect(config.values["platform:alerting"]).not.toContain("v1:xyz");
    expect(config.secretKeys).toEqual(["platform:alerting"]);
  });

  it("names the missing stack file", () => {
    expect(() => readStackConfig("nope", stackFile(""))).toThrow(
      /no stack "nope": .*Pulumi\.nope\.yaml does not exist/,
    );
  });
});

describe("maskSecrets", () => {
  it("masks secrets at any depth and leaves other values", () => {
    const secret = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "hunter2" };
    expect(maskSecrets({ a: 1, b: [secret, { c: secret }] })).toEqual({
      a: 1,
      b: ["[secret]", { c: "[secret]" }],
    });
  });
});
