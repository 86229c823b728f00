/**
 * The edge: public names go through Cloudflare's proxy, visitors get TLS 1.2 or better,
 * Cloudflare verifies the origin's certificate, and the origin admits nobody but Cloudflare.
 */
import {
  type PolicyResource,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
  validateResourceOfType,
} from "@pulumi/policy";
import { cidrWithin } from "../lib/cidr.js";
import { ofType, resourceType } from "../lib/policy-kit.js";
import { admissionsOf, groupsVia } from "../lib/security-groups.js";

interface DnsRecordProps {
  name?: string;
  type?: string;
  proxied?: boolean;
}
const dnsRecordTypes = ["cloudflare:index/dnsRecord:DnsRecord", "cloudflare:index/record:Record"];
const zoneSettingType = "cloudflare:index/zoneSetting:ZoneSetting";

export const edgeProxiedRecords: ResourceValidationPolicy = {
  name: "edge-proxied-records",
  description:
    "Public A, AAAA and CNAME records are proxied by Cloudflare, so the origin's address stays hidden behind the WAF.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      unproxiedNames: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Names allowed to resolve directly.",
      },
    },
  },
  validateResource: dnsRecordTypes.map((type) =>
    validateResourceOfType(resourceType<DnsRecordProps>(type), (record, args, report) => {
      const { unproxiedNames } = args.getConfig<{ unproxiedNames: string[] }>();
      if (!["A", "AAAA", "CNAME"].includes(record.type ?? "")) args.notApplicable("not an address record");
      if (record.proxied !== true && !unproxiedNames.includes(record.name ?? "")) {
        report(`${record.type} ${record.name} is not proxied: it would expose the origin`);
      }
    }),
  ),
};

/** The zones the stack serves through Cloudflare: those of its DNS records and zone settings. */
function zonesServed(resources: readonly PolicyResource[]): Set<string> {
  return new Set(
    resources
      .filter((r) => dnsRecordTypes.includes(r.type) || r.type === zoneSettingType)
      .map((r) => String(r.props["zoneId"])),
  );
}

const settingOf = (resources: readonly PolicyResource[], zoneId: string, settingId: string) =>
  ofType(resources, zoneSettingType).find(
    (s) => s.props["zoneId"] === zoneId && s.props["settingId"] === settingId,
  );

export const edgeTlsMinimum: StackValidationPolicy = {
  name: "edge-tls-minimum",
  description: "Every Cloudflare zone refuses visitors below TLS 1.2.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: { minTlsVersion: { type: "string", enum: ["1.0", "1.1", "1.2", "1.3"], default: "1.2" } },
  },
  validateStack: (args, report) => {
    const { minTlsVersion } = args.getConfig<{ minTlsVersion: string }>();
    const zones = zonesServed(args.resources);
    if (zones.size === 0) args.notApplicable("no Cloudflare zone");
    for (const zone of zones) {
      const setting = settingOf(args.resources, zone, "min_tls_version");
      const value = String(setting?.props["value"] ?? "1.0");
      if (Number(value) < Number(minTlsVersion)) {
        report(`zone ${zone} accepts TLS ${value}; the minimum is ${minTlsVersion}`, setting?.urn);
      }
    }
  },
};

export const edgeSslStrict: StackValidationPolicy = {
  name: "edge-ssl-strict",
  description: "Every Cloudflare zone uses SSL Full (strict): Cloudflare verifies the origin's certificate.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const zones = zonesServed(args.resources);
    if (zones.size === 0) args.notApplicable("no Cloudflare zone");
    for (const zone of zones) {
      const setting = settingOf(args.resources, zone, "ssl");
      const value = setting?.props["value"];
      if (value !== "strict")
        report(`zone ${zone} uses SSL mode ${String(value ?? "(default)")}, not strict`, setting?.urn);
    }
  },
};

/** Cloudflare's published ranges (https://www.cloudflare.com/ips/), kept in the policy config. */
export const cloudflareRanges = [
  ...["173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18"],
  ...["108.162.192.0/18", "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17"],
  ...["162.158.0.0/15", "104.16.0.0/13", "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22"],
  ...["2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32"],
  ...["2a06:98c0::/29", "2c0f:f248::/32"],
];

const loadBalancerTypes = ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"];

export const edgeOriginCloudflareOnly: StackValidationPolicy = {
  name: "edge-origin-cloudflare-only",
  description: "Internet-facing load balancers admit only Cloudflare's published address ranges.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      cloudflareRanges: {
        type: "array",
        items: { type: "string" },
        default: cloudflareRanges,
        description:
          "Cloudflare's ranges (https://www.cloudflare.com/ips/); update when Cloudflare publishes a change.",
      },
    },
  },
  validateStack: (args, report) => {
    const { cloudflareRanges } = args.getConfig<{ cloudflareRanges: string[] }>();
    const origins = args.resources.filter(
      (r) => loadBalancerTypes.includes(r.type) && r.props["internal"] !== true,
    );
    if (origins.length === 0) args.notApplicable("no internet-facing load balancer");
    for (const lb of origins) {
      const groups = groupsVia(lb, "securityGroups");
      if (groups.length === 0) report(`${lb.name} has no security group, so it admits any address`, lb.urn);
      for (const group of groups) {
        for (const admitted of admissionsOf(group, args.resources)) {
          if (
            admitted.cidr !== undefined &&
            !cloudflareRanges.some((range) => cidrWithin(admitted.cidr!, range))
          ) {
            report(`${group.name} admits ${admitted.cidr}, which is not Cloudflare's`, admitted.declaredBy);
          }
        }
      }
    }
  },
};

export const edgePolicies = [edgeProxiedRecords, edgeTlsMinimum, edgeSslStrict, edgeOriginCloudflareOnly];
