import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue, recorded } from "../../test/pulumi.js";
import { createEncryptionKey, validateEncryptionKeyArgs } from "./kms.js";

class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:shared:KmsHolder", name, {}, {});
  }
}

const tags = { owner: "platform-team" };

describe("createEncryptionKey with an alias", () => {
  const holder = new Holder("kms-aliased");
  const key = createEncryptionKey(
    "kms-aliased-kms",
    { description: "Encrypts the test store at rest", alias: "alias/test-store", tags },
    holder,
  );

  it("creates one rotated key with a 30-day deletion window, tagged with its name, under the parent", async () => {
    const keys = await recorded("aws:kms/key:Key", holder);
    expect(keys.map((k) => k.name)).toEqual(["kms-aliased-kms"]);
    expect(keys[0]!.inputs).toMatchObject({
      description: "Encrypts the test store at rest",
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags: { owner: "platform-team", Name: "kms-aliased-kms" },
    });
    expect(keys[0]!.parent).toBe(await outputValue(holder.urn));
  });

  it("points an alias of the same logical name at the key", async () => {
    const aliases = await recorded("aws:kms/alias:Alias", holder);
    expect(aliases.map((a) => [a.name, a.inputs["name"]])).toEqual([["kms-aliased-kms", "alias/test-store"]]);
    expect(aliases[0]!.inputs["targetKeyId"]).toBe(await outputValue(key.keyId));
  });
});

describe("createEncryptionKey without an alias", () => {
  const holder = new Holder("kms-plain");
  createEncryptionKey("kms-plain-data", { description: "Broker storage", tags }, holder);

  it("creates the key and no alias", async () => {
    expect((await recorded("aws:kms/key:Key", holder)).map((k) => k.name)).toEqual(["kms-plain-data"]);
    expect(await recorded("aws:kms/alias:Alias", holder)).toEqual([]);
  });
});

describe("validateEncryptionKeyArgs", () => {
  it("accepts a full alias name", () => {
    expect(() =>
      validateEncryptionKeyArgs({ description: "x", alias: "alias/platform-prod-redis", tags }),
    ).not.toThrow();
  });

  it("refuses an alias without its alias/ prefix, or under AWS's reserved alias/aws/", () => {
    expect(() => validateEncryptionKeyArgs({ description: "x", alias: "platform-prod-redis", tags })).toThrow(
      /alias\/<name>/,
    );
    expect(() => validateEncryptionKeyArgs({ description: "x", alias: "alias/aws/rds", tags })).toThrow(
      /alias\/aws\//,
    );
  });
});
