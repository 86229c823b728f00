import { defineConfig } from "vitest/config";

const slow = ["**/*.int.test.ts", "**/*.e2e.test.ts"];

export default defineConfig({
  test: {
    // The JSON report is what `.ci/run` counts; the default reporter is what people read.
    reporters: ["default", "json"],
    outputFile: { json: ".ci/out/vitest-report.json" },
    projects: [
      {
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["**/node_modules/**", ...slow],
          setupFiles: ["test/pulumi-setup.ts"],
          // Builds (or finds cached) the real OTel Collector the collector-config tests validate with.
          globalSetup: ["test/otelcol-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: slow,
          exclude: ["**/node_modules/**"],
          // Real PostgreSQL, Redis, Kafka and OpenSearch, installed and started by local/.
          globalSetup: ["test/servers-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
