import { describe, expect, it } from "vitest";
import { cloudflareIpRanges } from "../../scripts/plan/cloud-facts.js";
import {
  hstsMaxAgeSeconds,
  managedRulesets,
  managedWafRules,
  originIngress,
  rateLimitRules,
  zoneSettings,
} from "./edge-rules.js";

const setting = (id: string) => zoneSettings().find((s) => s.settingId === id)?.value;
const ranges = { ipv4Cidrs: cloudflareIpRanges.ipv4CidrBlocks, ipv6Cidrs: cloudflareIpRanges.ipv6CidrBlocks };

describe("zoneSettings", () => {
  it("verifies the origin's certificate (Full strict) and accepts TLS 1.2 and 1.3 only", () => {
    expect(setting("ssl")).toBe("strict");
    expect(setting("min_tls_version")).toBe("1.2");
    expect(setting("tls_1_3")).toBe("on");
  });

  it("redirects HTTP to HTTPS and sends a preloadable HSTS header", () => {
    expect(setting("always_use_https")).toBe("on");
    expect(setting("security_header")).toEqual({
      strict_transport_security: {
        enabled: true,
        max_age: hstsMaxAgeSeconds,
        include_subdomains: true,
        preload: true,
        nosniff: true,
      },
    });
    expect(hstsMaxAgeSeconds).toBeGreaterThanOrEqual(31_536_000);
  });

  it("sets each setting once", () => {
    const ids = zoneSettings().map((s) => s.settingId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("managedWafRules", () => {
  it("executes the Cloudflare Managed and OWASP Core rulesets on every request", () => {
    const rules = managedWafRules();
    expect(rules.map((r) => [r.action, r.actionParameters?.id, r.expression, r.enabled])).toEqual([
      ["execute", "efb7b8c949ac4650a09736fc376e9aee", "true", true],
      ["execute", "4814384a9e5d4991b9815dcfc25d2f1f", "true", true],
    ]);
    expect(Object.values(managedRulesets)).toHaveLength(2);
  });
});

describe("rateLimitRules", () => {
  it("blocks a client IP over the limit on the API host, per data centre, for one period", () => {
    const [rule] = rateLimitRules("api.example.com", { requests: 600, periodSeconds: 60 });
    expect(rule).toMatchObject({
      action: "block",
      expression: '(http.host eq "api.example.com")',
      enabled: true,
    });
    expect(rule!.ratelimit).toEqual({
      characteristics: ["ip.src", "cf.colo.id"],
      period: 60,
      requestsPerPeriod: 600,
      mitigationTimeout: 60,
    });
  });
});

describe("originIngress", () => {
  it("admits TCP 443 from each of Cloudflare's published ranges, and only those", () => {
    const rules = originIngress(ranges);
    expect(rules.every((r) => r.protocol === "tcp" && r.fromPort === 443 && r.toPort === 443)).toBe(true);
    expect(rules.flatMap((r) => r.cidrBlocks).sort()).toEqual([...cloudflareIpRanges.ipv4CidrBlocks].sort());
    expect(rules.flatMap((r) => r.ipv6CidrBlocks).sort()).toEqual(
      [...cloudflareIpRanges.ipv6CidrBlocks].sort(),
    );
    expect(rules).toHaveLength(
      cloudflareIpRanges.ipv4CidrBlocks.length + cloudflareIpRanges.ipv6CidrBlocks.length,
    );
  });

  it("gives the same rules whatever order Cloudflare lists its ranges in", () => {
    const reversed = {
      ipv4Cidrs: [...ranges.ipv4Cidrs].reverse(),
      ipv6Cidrs: [...ranges.ipv6Cidrs].reverse(),
    };
    expect(originIngress(reversed)).toEqual(originIngress(ranges));
  });

  it("refuses an empty answer rather than making an unreachable origin", () => {
    expect(() => originIngress({ ipv4Cidrs: [], ipv6Cidrs: [] })).toThrow(/no IPv4 ranges/);
  });
});
