import { describe, expect, it } from "vitest";
import { cloudflareIpRanges } from "../../scripts/plan/cloud-facts.js";
import { changed, check, messages, resource } from "../test/fixtures.js";
import {
  cloudflareRanges,
  edgeOriginCloudflareOnly,
  edgePolicies,
  edgeProxiedRecords,
  edgeSslStrict,
  edgeTlsMinimum,
} from "./edge.js";

const zoneId = "023e105f4ecef8ad9ca31a8372d0c353";
const setting = (settingId: string, value: unknown) =>
  resource("cloudflare:index/zoneSetting:ZoneSetting", settingId, { zoneId, settingId, value });
const record = resource("cloudflare:index/dnsRecord:DnsRecord", "api", {
  zoneId,
  name: "api.example.com",
  type: "CNAME",
  proxied: true,
});
const origin = resource("aws:ec2/securityGroup:SecurityGroup", "origin", {
  ingress: [
    { cidrBlocks: ["104.16.0.0/13", "104.16.1.0/24"], ipv6CidrBlocks: ["2606:4700::/32"], fromPort: 443 },
  ],
});
const lb = resource(
  "aws:lb/loadBalancer:LoadBalancer",
  "origin-nlb",
  { internal: false },
  { securityGroups: [origin] },
);
const edge = [record, setting("ssl", "strict"), setting("min_tls_version", "1.2"), origin, lb];

describe("edge policies", () => {
  it("pass a proxied record, strict TLS 1.2+ zone and a Cloudflare-only origin", async () => {
    expect(messages(await check(edgePolicies, edge))).toEqual([]);
  });

  it("keep Cloudflare's published ranges as the config default", () => {
    expect([...cloudflareRanges].sort()).toEqual(
      [...cloudflareIpRanges.ipv4CidrBlocks, ...cloudflareIpRanges.ipv6CidrBlocks].sort(),
    );
  });

  it("flag an unproxied address record, unless listed", async () => {
    const direct = changed(record, (r) => (r.inputs["proxied"] = false));
    expect(messages(await check(edgeProxiedRecords, [direct]))).toEqual([
      "CNAME api.example.com is not proxied: it would expose the origin",
    ]);
    const allowed = await check(edgeProxiedRecords, [direct], {
      config: { "edge-proxied-records": { unproxiedNames: ["api.example.com"] } },
    });
    expect(messages(allowed)).toEqual([]);
  });

  it("flag TLS 1.0 allowed, by setting or by leaving it out", async () => {
    expect(messages(await check(edgeTlsMinimum, [record, setting("min_tls_version", "1.1")]))).toEqual([
      `zone ${zoneId} accepts TLS 1.1; the minimum is 1.2`,
    ]);
    expect(messages(await check(edgeTlsMinimum, [record]))).toEqual([
      `zone ${zoneId} accepts TLS 1.0; the minimum is 1.2`,
    ]);
  });

  it("flag SSL Full without strict", async () => {
    expect(messages(await check(edgeSslStrict, [record, setting("ssl", "full")]))).toEqual([
      `zone ${zoneId} uses SSL mode full, not strict`,
    ]);
  });

  it("flag an origin admitting addresses outside Cloudflare, or without any security group", async () => {
    const leaky = changed(
      origin,
      (r) => (r.inputs["ingress"] = [{ cidrBlocks: ["104.16.0.0/12", "0.0.0.0/0"] }]),
    );
    expect(messages(await check(edgeOriginCloudflareOnly, [leaky, lb]))).toEqual([
      "origin admits 104.16.0.0/12, which is not Cloudflare's",
      "origin admits 0.0.0.0/0, which is not Cloudflare's",
    ]);
    const bare = changed(lb, (r) => (r.dependencies = {}));
    expect(messages(await check(edgeOriginCloudflareOnly, [bare]))).toEqual([
      "origin-nlb has no security group, so it admits any address",
    ]);
  });
});
