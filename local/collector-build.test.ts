import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  collectorManifest,
  expectedComponents,
  missingComponents,
  otelcolStableVersion,
  otelcolVersion,
  proxyOnly,
} from "./collector-build.js";

describe("collectorManifest", () => {
  const manifest = parse(collectorManifest()) as Record<string, { gomod: string }[]> & {
    dist: Record<string, string>;
  };
  const modules = ["receivers", "processors", "exporters", "extensions", "providers"].flatMap((kind) =>
    manifest[kind]!.map((m) => m.gomod),
  );

  it("builds otelcol-platform at the pinned release", () => {
    expect(manifest.dist).toMatchObject({ name: "otelcol-platform", version: otelcolVersion });
  });

  it("takes every module from one release: 0.x modules at the collector's, 1.x providers at the paired one", () => {
    for (const mod of modules) {
      const [, version] = mod.split(" ");
      expect(version, mod).toBe(
        mod.includes("/confmap/provider/") ? `v${otelcolStableVersion}` : `v${otelcolVersion}`,
      );
    }
  });

  it("has a module for the processors and exporters the platform configures", () => {
    for (const name of ["k8sattributes", "resourcedetection", "tailsampling", "memorylimiter", "batch"])
      expect(
        modules.some((m) => m.includes(`/processor/${name}processor `)),
        name,
      ).toBe(true);
    for (const name of ["otlp", "otlphttp", "prometheusremotewrite", "loadbalancing"])
      expect(
        modules.some((m) => m.includes(`/exporter/${name}exporter `)),
        name,
      ).toBe(true);
  });
});

describe("proxyOnly", () => {
  it("drops the direct fallback, so a module the proxy does not serve fails with its real error", () => {
    expect(proxyOnly("https://proxy.golang.org,direct\n")).toBe("https://proxy.golang.org");
    expect(proxyOnly("https://a.example|direct")).toBe("https://a.example");
    expect(proxyOnly("direct")).toBeUndefined();
  });
});

describe("missingComponents", () => {
  it("lists the expected components absent from `otelcol-platform components`", () => {
    const listed = expectedComponents
      .filter((c) => c !== "tail_sampling")
      .map((c) => `    - name: ${c}\n      module: x`);
    expect(missingComponents(listed.join("\n"))).toEqual(["tail_sampling"]);
  });
});
