import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { originPullCaPem, originPullCaSha256 } from "./origin-pull-ca.js";

describe("Cloudflare's origin-pull CA", () => {
  const certificate = new X509Certificate(originPullCaPem);

  it("is the pinned certificate, a CA named origin-pull.cloudflare.net", () => {
    expect(certificate.fingerprint256).toBe(originPullCaSha256);
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toContain("CN=origin-pull.cloudflare.net");
  });

  it("is valid for at least another 90 days (replace it before it expires on 2029-11-01)", () => {
    const ninetyDays = 90 * 24 * 3600 * 1000;
    expect(new Date(certificate.validTo).getTime() - Date.now()).toBeGreaterThan(ninetyDays);
  });
});
