import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { cloudflareIpRanges } from "../../scripts/plan/cloud-facts.js";
import { commonTags } from "../../stacks/naming.js";
import { idOf, outputValue, recorded, spec } from "../../test/pulumi.js";
import { Edge, type EdgeArgs, validateEdgeArgs } from "./edge.js";

const platform = spec();
const args: EdgeArgs = {
  ...platform.edge,
  vpcId: "vpc-0123456789abcdef0",
  vpcCidr: platform.network.cidr,
  publicSubnetIds: ["subnet-public-a", "subnet-public-b", "subnet-public-c"],
  zones: platform.network.zones,
  tags: commonTags(platform),
};

type Rule = {
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  ipv6CidrBlocks?: string[];
};

describe("Edge", () => {
  const edge = new Edge("edge", args);
  const zoneSetting = async (id: string) =>
    (await recorded("cloudflare:index/zoneSetting:ZoneSetting", edge)).find(
      (s) => s.inputs["settingId"] === id,
    )?.inputs;
  const ruleset = async (phase: string) =>
    (await recorded("cloudflare:index/ruleset:Ruleset", edge)).filter((r) => r.inputs["phase"] === phase);

  it("sets SSL to Full (strict), TLS 1.2 minimum and TLS 1.3 on the zone", async () => {
    expect(await zoneSetting("ssl")).toMatchObject({ zoneId: args.zoneId, value: "strict" });
    expect(await zoneSetting("min_tls_version")).toMatchObject({ zoneId: args.zoneId, value: "1.2" });
    expect(await zoneSetting("tls_1_3")).toMatchObject({ zoneId: args.zoneId, value: "on" });
  });

  it("redirects to HTTPS and sends HSTS for at least a year with subdomains, preload and nosniff", async () => {
    expect(await zoneSetting("always_use_https")).toMatchObject({ value: "on" });
    const hsts = (
      (await zoneSetting("security_header"))!["value"] as Record<string, Record<string, unknown>>
    )["strict_transport_security"]!;
    expect(hsts).toMatchObject({ enabled: true, include_subdomains: true, preload: true, nosniff: true });
    expect(hsts["max_age"]).toBeGreaterThanOrEqual(31_536_000);
  });

  it("points a proxied, auto-TTL CNAME for the API host at the origin NLB", async () => {
    const [record] = await recorded("cloudflare:index/dnsRecord:DnsRecord", edge);
    expect(record!.inputs).toMatchObject({
      zoneId: args.zoneId,
      name: args.apiHost,
      type: "CNAME",
      proxied: true,
      ttl: 1,
      content: await outputValue(edge.loadBalancer.dnsName),
    });
    expect(record!.inputs["content"]).toMatch(/elb\.amazonaws\.com$/);
  });

  it("runs the Cloudflare Managed and OWASP Core rulesets in the managed WAF phase", async () => {
    const [waf, ...others] = await ruleset("http_request_firewall_managed");
    expect(others).toEqual([]);
    expect(waf!.inputs["kind"]).toBe("zone");
    const rules = waf!.inputs["rules"] as { action: string; actionParameters: { id: string } }[];
    expect(rules.map((r) => [r.action, r.actionParameters.id])).toEqual([
      ["execute", "efb7b8c949ac4650a09736fc376e9aee"],
      ["execute", "4814384a9e5d4991b9815dcfc25d2f1f"],
    ]);
  });

  it("rate-limits the API host per client IP and colo at the configured rate, blocking", async () => {
    const [limit] = await ruleset("http_ratelimit");
    const [rule] = limit!.inputs["rules"] as {
      action: string;
      expression: string;
      ratelimit: Record<string, unknown>;
    }[];
    expect(rule!.action).toBe("block");
    expect(rule!.expression).toContain(args.apiHost);
    expect(rule!.ratelimit).toMatchObject({
      characteristics: ["ip.src", "cf.colo.id"],
      requestsPerPeriod: args.rateLimit.requests,
      period: args.rateLimit.periodSeconds,
    });
    expect(rule!.ratelimit["mitigationTimeout"]).toBeGreaterThan(0);
  });

  it("enables authenticated origin pulls zone-wide", async () => {
    const [aop] = await recorded(
      "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings",
      edge,
    );
    expect(aop!.inputs).toEqual({ zoneId: args.zoneId, enabled: true });
  });

  it("admits exactly Cloudflare's published ranges on TCP 443 to the origin, and nothing else", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", edge);
    const ingress = sg!.inputs["ingress"] as Rule[];
    expect(ingress.every((r) => r.protocol === "tcp" && r.fromPort === 443 && r.toPort === 443)).toBe(true);
    expect(ingress.flatMap((r) => r.cidrBlocks ?? []).sort()).toEqual(
      [...cloudflareIpRanges.ipv4CidrBlocks].sort(),
    );
    expect(ingress.flatMap((r) => r.ipv6CidrBlocks ?? []).sort()).toEqual(
      [...cloudflareIpRanges.ipv6CidrBlocks].sort(),
    );
    expect(
      ingress.some(
        (r) => "securityGroups" in r || "prefixListIds" in r || r.cidrBlocks?.includes("0.0.0.0/0"),
      ),
    ).toBe(false);
    const separate = (await recorded("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")).filter(
      (r) => r.inputs["securityGroupId"] === idOf(sg!),
    );
    expect(separate).toEqual([]);
  });

  it("lets the origin send only TCP 443 into the VPC", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", edge);
    expect(sg!.inputs["egress"]).toEqual([
      expect.objectContaining({ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: [args.vpcCidr] }),
    ]);
  });

  it("fronts the origin with an internet-facing, cross-zone NLB in the public subnets behind that group", async () => {
    const [sg] = await recorded("aws:ec2/securityGroup:SecurityGroup", edge);
    const [lb] = await recorded("aws:lb/loadBalancer:LoadBalancer", edge);
    expect(lb!.inputs).toMatchObject({
      loadBalancerType: "network",
      internal: false,
      enableCrossZoneLoadBalancing: true,
      subnets: args.publicSubnetIds,
      securityGroups: [idOf(sg!)],
    });
  });

  it("forwards TCP 443 to an IP target group with health checks", async () => {
    const [tg] = await recorded("aws:lb/targetGroup:TargetGroup", edge);
    expect(tg!.inputs).toMatchObject({ port: 443, protocol: "TCP", targetType: "ip", vpcId: args.vpcId });
    expect(tg!.inputs["healthCheck"]).toMatchObject({ enabled: true, protocol: "TCP" });
    const [listener] = await recorded("aws:lb/listener:Listener", edge);
    const [lb] = await recorded("aws:lb/loadBalancer:LoadBalancer", edge);
    expect(listener!.inputs).toMatchObject({ port: 443, protocol: "TCP" });
    expect(listener!.inputs["loadBalancerArn"]).toContain(idOf(lb!));
    expect(listener!.inputs["defaultActions"]).toEqual([
      expect.objectContaining({ type: "forward", targetGroupArn: await outputValue(edge.targetGroup.arn) }),
    ]);
  });

  it("issues a 15-year ECC origin certificate for the API host from a P-256 key, the key a secret", async () => {
    const [key] = await recorded("tls:index/privateKey:PrivateKey", edge);
    expect(key!.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const [cert] = await recorded("cloudflare:index/originCaCertificate:OriginCaCertificate", edge);
    expect(cert!.inputs).toMatchObject({
      requestType: "origin-ecc",
      hostnames: [args.apiHost],
      requestedValidity: 5475,
    });
    const [csr] = await recorded("tls:index/certRequest:CertRequest", edge);
    expect(csr!.inputs["privateKeyPem"]).toBe("[secret]");
    expect(await pulumi.isSecret(edge.originPrivateKey)).toBe(true);
    expect(await outputValue(edge.originPrivateKey)).toMatch(/BEGIN PRIVATE KEY/);
    expect(await outputValue(edge.originCertificate)).toMatch(/BEGIN CERTIFICATE/);
  });
});

describe("validateEdgeArgs", () => {
  it("refuses two zones", () => {
    expect(() => validateEdgeArgs({ ...args, zones: ["eu-west-1a", "eu-west-1b"] })).toThrow(/exactly 3/);
  });

  it("refuses a public subnet list that is not one per zone", () => {
    expect(() => validateEdgeArgs({ ...args, publicSubnetIds: ["subnet-a"] })).toThrow(
      /one per availability zone/,
    );
  });

  it("refuses an API host outside the zone", () => {
    expect(() => validateEdgeArgs({ ...args, apiHost: "api.example.org" })).toThrow(/inside example\.com/);
  });

  it("refuses a rate-limit period Cloudflare does not count over", () => {
    expect(() => validateEdgeArgs({ ...args, rateLimit: { requests: 100, periodSeconds: 30 } })).toThrow(
      /one of 10, 60, 120, 300, 600, 3600/,
    );
  });

  it("refuses a malformed zone id and VPC CIDR", () => {
    expect(() => validateEdgeArgs({ ...args, zoneId: "not-a-zone" })).toThrow(/32 hex/);
    expect(() => validateEdgeArgs({ ...args, vpcCidr: "10.40.1.0/16" })).toThrow(/host bits/);
  });
});
