import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { idOf, outputValue, recorded } from "../../test/pulumi.js";
import {
  createStoreSecurityGroup,
  type StoreSecurityGroupArgs,
  validateStoreSecurityGroupArgs,
} from "./store-security-group.js";

class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:shared:SecurityGroupHolder", name, {}, {});
  }
}

const args: StoreSecurityGroupArgs = {
  vpcId: "vpc-0123456789abcdef0",
  description: "Test store: 9096 and 9098 from the allowed groups only",
  ports: [
    { port: 9096, description: "clients over SCRAM" },
    { port: 9098, description: "admin over IAM" },
  ],
  allowedSecurityGroupIds: ["sg-nodes", "sg-runner"],
  tags: { owner: "platform-team" },
};

describe("createStoreSecurityGroup", () => {
  const holder = new Holder("store");
  const group = createStoreSecurityGroup("store-sg", args, holder);
  const rules = () => recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", holder);

  it("creates one group in the VPC with no inline rule", async () => {
    const groups = await recorded("aws:ec2/securityGroup:SecurityGroup", holder);
    expect(groups.map((g) => g.name)).toEqual(["store-sg"]);
    const inputs = groups[0]!.inputs;
    expect(inputs).toMatchObject({ vpcId: args.vpcId, description: args.description });
    expect(inputs["ingress"] ?? []).toEqual([]);
    expect(inputs["egress"] ?? []).toEqual([]);
    expect(idOf(groups[0]!)).toBe(await outputValue(group.id));
  });

  it("admits each port from each allowed group, one TCP rule each, named <group>-from-<i>-<port>", async () => {
    const sgId = idOf((await recorded("aws:ec2/securityGroup:SecurityGroup", holder))[0]!);
    const all = await rules();
    expect(all.map((r) => r.name).sort()).toEqual([
      "store-sg-from-0-9096",
      "store-sg-from-0-9098",
      "store-sg-from-1-9096",
      "store-sg-from-1-9098",
    ]);
    for (const rule of all) {
      const [, source, port] = /-from-(\d+)-(\d+)$/.exec(rule.name)!;
      expect(rule.inputs).toMatchObject({
        securityGroupId: sgId,
        referencedSecurityGroupId: args.allowedSecurityGroupIds[Number(source)],
        ipProtocol: "tcp",
        fromPort: Number(port),
        toPort: Number(port),
        description: args.ports.find((p) => p.port === Number(port))!.description,
        tags: { owner: "platform-team", Name: rule.name },
      });
      expect(rule.inputs["cidrIpv4"]).toBeUndefined();
      expect(rule.inputs["cidrIpv6"]).toBeUndefined();
    }
  });

  it("opens no egress", async () => {
    expect(await recorded("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", holder)).toEqual([]);
  });
});

describe("validateStoreSecurityGroupArgs", () => {
  it("refuses a group nobody may reach, or that admits no port", () => {
    expect(() => validateStoreSecurityGroupArgs({ ...args, allowedSecurityGroupIds: [] })).toThrow(
      /at least one security group/,
    );
    expect(() => validateStoreSecurityGroupArgs({ ...args, ports: [] })).toThrow(/at least one port/);
  });

  it("refuses a port outside 1 to 65535, or a port twice", () => {
    for (const port of [0, 65536, 443.5])
      expect(() => validateStoreSecurityGroupArgs({ ...args, ports: [{ port, description: "x" }] })).toThrow(
        /from 1 to 65535/,
      );
    expect(() =>
      validateStoreSecurityGroupArgs({
        ...args,
        ports: [...args.ports, { port: 9096, description: "again" }],
      }),
    ).toThrow(/distinct ports/);
  });
});
