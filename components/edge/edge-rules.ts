/**
 * What the edge decides, tested without any cloud: the zone's TLS settings, the WAF and
 * rate-limit rules, and which addresses may reach the origin load balancer. The shapes are
 * those of the Cloudflare API (snake_case inside zone-setting values, which the provider
 * passes through untranslated: pulumi/pulumi-cloudflare#1579).
 */

/** HSTS max-age: two years, above the one year that browsers' preload lists require. */
export const hstsMaxAgeSeconds = 2 * 365 * 24 * 60 * 60;

/** The one port the origin listens on; TLS terminates behind it, at the cluster's ingress. */
export const originPort = 443;

export interface ZoneSettingSpec {
  /** The API's setting id (https://developers.cloudflare.com/api/resources/zones/subresources/settings/). */
  readonly settingId: string;
  readonly value: unknown;
}

/**
 * TLS end to end and nothing weaker: Full (strict) to the origin (Cloudflare verifies the
 * origin's certificate), TLS 1.2 minimum and 1.3 on for visitors, HTTP redirected to HTTPS,
 * and HSTS with preload so browsers never try plain HTTP again.
 */
export function zoneSettings(): ZoneSettingSpec[] {
  return [
    { settingId: "ssl", value: "strict" },
    { settingId: "min_tls_version", value: "1.2" },
    { settingId: "tls_1_3", value: "on" },
    { settingId: "always_use_https", value: "on" },
    {
      settingId: "security_header",
      value: {
        strict_transport_security: {
          enabled: true,
          max_age: hstsMaxAgeSeconds,
          include_subdomains: true,
          preload: true,
          nosniff: true,
        },
      },
    },
  ];
}

/** Cloudflare's managed WAF rulesets, by their fixed ids (https://developers.cloudflare.com/waf/managed-rules/). */
export const managedRulesets = {
  cloudflareManaged: "efb7b8c949ac4650a09736fc376e9aee",
  owaspCore: "4814384a9e5d4991b9815dcfc25d2f1f",
} as const;

export interface RuleSpec {
  readonly action: string;
  readonly expression: string;
  readonly description: string;
  readonly enabled: boolean;
  readonly actionParameters?: { readonly id: string };
  readonly ratelimit?: {
    readonly characteristics: string[];
    readonly period: number;
    readonly requestsPerPeriod: number;
    readonly mitigationTimeout: number;
  };
}

/** The zone's entry point in `http_request_firewall_managed`: both managed rulesets on every request. */
export function managedWafRules(): RuleSpec[] {
  return [
    {
      action: "execute",
      actionParameters: { id: managedRulesets.cloudflareManaged },
      expression: "true",
      description: "Cloudflare Managed Ruleset",
      enabled: true,
    },
    {
      action: "execute",
      actionParameters: { id: managedRulesets.owaspCore },
      expression: "true",
      description: "Cloudflare OWASP Core Ruleset",
      enabled: true,
    },
  ];
}

export interface RateLimit {
  /** Requests one client IP may make per period. */
  readonly requests: number;
  /** The counting period in seconds: 10, 60, 120, 300, 600 or 3600. */
  readonly periodSeconds: number;
}

/** The periods Cloudflare's rate limiting counts over, also its valid mitigation timeouts. */
export const rateLimitPeriods = [10, 60, 120, 300, 600, 3600] as const;

/** An exact-match host expression in Cloudflare's rules language. */
export const hostExpression = (host: string) => `(http.host eq "${host}")`;

/**
 * The zone's entry point in `http_ratelimit`: requests to the API host are counted per client
 * IP within each Cloudflare data centre (`cf.colo.id` is required by the counter); over the
 * limit, the client is blocked for one more period.
 */
export function rateLimitRules(apiHost: string, limit: RateLimit): RuleSpec[] {
  return [
    {
      action: "block",
      expression: hostExpression(apiHost),
      description: `At most ${limit.requests} requests per ${limit.periodSeconds}s per client IP to ${apiHost}`,
      enabled: true,
      ratelimit: {
        characteristics: ["ip.src", "cf.colo.id"],
        period: limit.periodSeconds,
        requestsPerPeriod: limit.requests,
        mitigationTimeout: limit.periodSeconds,
      },
    },
  ];
}

export interface CloudflareRanges {
  readonly ipv4Cidrs: readonly string[];
  readonly ipv6Cidrs: readonly string[];
}

export interface IngressSpec {
  readonly protocol: "tcp";
  readonly fromPort: number;
  readonly toPort: number;
  readonly cidrBlocks: string[];
  readonly ipv6CidrBlocks: string[];
  readonly description: string;
}

/**
 * The origin's only ingress: TCP 443 from Cloudflare's published ranges, one rule per CIDR
 * (sorted, so a reordered answer from Cloudflare changes nothing). Refuses an empty answer:
 * an origin nobody can reach is a broken API, not a safe one.
 */
export function originIngress(ranges: CloudflareRanges): IngressSpec[] {
  if (ranges.ipv4Cidrs.length === 0) throw new Error("Cloudflare returned no IPv4 ranges for the origin");
  const rule = (cidr: string, v6: boolean): IngressSpec => ({
    protocol: "tcp",
    fromPort: originPort,
    toPort: originPort,
    cidrBlocks: v6 ? [] : [cidr],
    ipv6CidrBlocks: v6 ? [cidr] : [],
    description: `Cloudflare ${cidr}`,
  });
  return [
    ...[...ranges.ipv4Cidrs].sort().map((cidr) => rule(cidr, false)),
    ...[...ranges.ipv6Cidrs].sort().map((cidr) => rule(cidr, true)),
  ];
}
