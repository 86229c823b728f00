import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { parseCidr } from "../network/subnet-plan.js";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid, requireOnePerZone, requireThreeZones, requireWholeNumber } from "../shared/validation.js";
import {
  managedWafRules,
  originIngress,
  originPort,
  type RateLimit,
  rateLimitPeriods,
  rateLimitRules,
  zoneSettings,
} from "./edge-rules.js";

export interface EdgeArgs {
  /** The Cloudflare account that owns the zone (32 hex characters). */
  readonly accountId: string;
  /** The Cloudflare zone of `domain` (32 hex characters). */
  readonly zoneId: string;
  /** The zone apex, e.g. "example.com". */
  readonly domain: string;
  /** The public API host inside the zone, e.g. "api.example.com"; proxied to the origin. */
  readonly apiHost: string;
  /** Requests one client IP may make to the API host per period, counted at the edge. */
  readonly rateLimit: RateLimit;
  /** The VPC the origin load balancer lives in. */
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's IPv4 CIDR: the load balancer forwards only into it. */
  readonly vpcCidr: string;
  /** One public subnet per zone, in zone order: the load balancer's nodes. */
  readonly publicSubnetIds: pulumi.Input<string>[];
  /** Exactly three availability zones. */
  readonly zones: readonly string[];
  /** Tags for every taggable AWS child. */
  readonly tags: Tags;
}

/** Origin CA certificates: the longest validity Cloudflare issues, 15 years. */
export const originCertificateValidityDays = 5475;

const hostName = /^([a-z0-9-]+\.)+[a-z]{2,}$/;
const cloudflareId = /^[0-9a-f]{32}$/;

export function validateEdgeArgs(args: EdgeArgs): void {
  requireThreeZones(args.zones);
  requireOnePerZone(args.publicSubnetIds, args.zones, "publicSubnetIds");
  if (!cloudflareId.test(args.accountId)) invalid("accountId", "expected 32 hex characters");
  if (!cloudflareId.test(args.zoneId)) invalid("zoneId", "expected 32 hex characters");
  if (!hostName.test(args.domain)) invalid("domain", `not a domain name: "${args.domain}"`);
  if (!hostName.test(args.apiHost) || !args.apiHost.endsWith(`.${args.domain}`))
    invalid("apiHost", `expected a host name inside ${args.domain}, got "${args.apiHost}"`);
  const { requests, periodSeconds } = args.rateLimit;
  requireWholeNumber(requests, "rateLimit.requests", { min: 1 });
  if (!(rateLimitPeriods as readonly number[]).includes(periodSeconds))
    invalid(
      "rateLimit.periodSeconds",
      `expected one of ${rateLimitPeriods.join(", ")}, got ${periodSeconds}`,
    );
  try {
    parseCidr(args.vpcCidr);
  } catch (err) {
    invalid("vpcCidr", (err as Error).message);
  }
}

/**
 * The public edge of the API: Cloudflare in front (TLS settings, WAF, rate limiting,
 * authenticated origin pulls) and, in AWS, an internet-facing Network Load Balancer that
 * only Cloudflare can reach. TLS passes through the NLB to the cluster's ingress, which
 * presents the Cloudflare origin certificate made here and verifies Cloudflare's client
 * certificate (authenticated origin pulls); the ingress registers in `targetGroup`.
 */
export class Edge extends pulumi.ComponentResource {
  static readonly type = "platform:edge:Edge";

  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly originSecurityGroup: aws.ec2.SecurityGroup;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly dnsRecord: cloudflare.DnsRecord;
  /** The origin certificate (PEM) for the ingress; public, but kept next to its key. */
  readonly originCertificate: pulumi.Output<string>;
  /** The origin certificate's private key (PEM), a secret. */
  readonly originPrivateKey: pulumi.Output<string>;

  constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    validateEdgeArgs(args);
    super(
      Edge.type,
      name,
      { accountId: args.accountId, zoneId: args.zoneId, domain: args.domain, apiHost: args.apiHost },
      opts,
    );
    const parent = { parent: this };

    // --- Cloudflare: the zone's TLS posture, WAF, rate limit and authenticated origin pulls.
    for (const setting of zoneSettings()) {
      new cloudflare.ZoneSetting(
        `${name}-${setting.settingId}`,
        { zoneId: args.zoneId, settingId: setting.settingId, value: setting.value },
        parent,
      );
    }
    new cloudflare.Ruleset(
      `${name}-waf-managed`,
      {
        zoneId: args.zoneId,
        kind: "zone",
        phase: "http_request_firewall_managed",
        name: `${args.domain}: managed WAF`,
        description: "Cloudflare Managed and OWASP Core rulesets on every request",
        rules: managedWafRules(),
      },
      parent,
    );
    new cloudflare.Ruleset(
      `${name}-rate-limit`,
      {
        zoneId: args.zoneId,
        kind: "zone",
        phase: "http_ratelimit",
        name: `${args.domain}: rate limits`,
        description: `Per-client rate limit on ${args.apiHost}`,
        rules: rateLimitRules(args.apiHost, args.rateLimit),
      },
      parent,
    );
    // Cloudflare presents its origin-pull client certificate on every request to the origin.
    new cloudflare.AuthenticatedOriginPullsSettings(
      `${name}-origin-pulls`,
      { zoneId: args.zoneId, enabled: true },
      parent,
    );

    // --- AWS: the origin, reachable from Cloudflare only.
    // Cloudflare's ranges are an Output (an invoke). Creating one SecurityGroupIngressRule per
    // CIDR would mean creating resources inside `apply`, which previews cannot always show;
    // instead the ranges go into the group's inline `ingress` list, which takes an Output. The
    // group then owns its rules exclusively (a rule added by hand is removed on the next
    // update) and the full list is in its inputs for tests, the plan and the policy pack.
    const ranges = cloudflare.getIpRangesOutput({}, parent);
    this.originSecurityGroup = new aws.ec2.SecurityGroup(
      `${name}-origin`,
      {
        vpcId: args.vpcId,
        description: `Origin of ${args.apiHost}: TCP ${originPort} from Cloudflare only`,
        ingress: ranges.apply((r) => originIngress(r)),
        egress: [
          {
            protocol: "tcp",
            fromPort: originPort,
            toPort: originPort,
            cidrBlocks: [args.vpcCidr],
            description: "To the cluster's ingress inside the VPC",
          },
        ],
        tags: tagged(args.tags, `${name}-origin`),
      },
      parent,
    );
    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-origin`,
      {
        loadBalancerType: "network",
        internal: false,
        ipAddressType: "ipv4",
        subnets: args.publicSubnetIds,
        securityGroups: [this.originSecurityGroup.id],
        enableCrossZoneLoadBalancing: true,
        tags: tagged(args.tags, `${name}-origin`),
      },
      parent,
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-ingress`,
      {
        vpcId: args.vpcId,
        port: originPort,
        protocol: "TCP",
        targetType: "ip",
        deregistrationDelay: 30,
        healthCheck: {
          enabled: true,
          protocol: "TCP",
          port: "traffic-port",
          interval: 10,
          healthyThreshold: 3,
          unhealthyThreshold: 3,
        },
        tags: tagged(args.tags, `${name}-ingress`),
      },
      parent,
    );
    new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: originPort,
        protocol: "TCP",
        defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        tags: tagged(args.tags, `${name}-https`),
      },
      parent,
    );

    this.dnsRecord = new cloudflare.DnsRecord(
      `${name}-api`,
      {
        zoneId: args.zoneId,
        name: args.apiHost,
        type: "CNAME",
        content: this.loadBalancer.dnsName,
        proxied: true,
        ttl: 1,
        comment: "The public API, proxied through Cloudflare to the origin NLB",
      },
      parent,
    );

    // --- The origin certificate the ingress presents to Cloudflare (Full (strict) verifies it).
    const key = new tls.PrivateKey(`${name}-origin`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
    const csr = new tls.CertRequest(
      `${name}-origin`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: args.apiHost }, dnsNames: [args.apiHost] },
      parent,
    );
    const certificate = new cloudflare.OriginCaCertificate(
      `${name}-origin`,
      {
        csr: csr.certRequestPem,
        hostnames: [args.apiHost],
        requestType: "origin-ecc",
        requestedValidity: originCertificateValidityDays,
      },
      parent,
    );
    this.originCertificate = certificate.certificate;
    this.originPrivateKey = pulumi.secret(key.privateKeyPem);

    this.registerOutputs({
      loadBalancerDnsName: this.loadBalancer.dnsName,
      originSecurityGroupId: this.originSecurityGroup.id,
      targetGroupArn: this.targetGroup.arn,
      dnsRecordId: this.dnsRecord.id,
      originCertificate: this.originCertificate,
      originPrivateKey: this.originPrivateKey,
    });
  }
}
