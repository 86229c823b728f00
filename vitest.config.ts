import { defineConfig } from "vitest/config";

const integration = "**/*.int.test.ts";
const endToEnd = "**/*.e2e.test.ts";

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
          exclude: ["**/node_modules/**", integration, endToEnd],
          setupFiles: ["test/pulumi-setup.ts"],
          // Builds (or finds cached) the real OTel Collector the collector-config tests validate with.
          globalSetup: ["test/otelcol-setup.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: [integration],
          exclude: ["**/node_modules/**"],
          // Real PostgreSQL, Redis, Kafka and OpenSearch, installed and started by local/.
          globalSetup: ["test/servers-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: [endToEnd],
          exclude: ["**/node_modules/**"],
          globalSetup: ["test/servers-setup.ts"],
          // Each file runs the whole platform, on the registry's fixed service ports: one file
          // at a time, after the other projects, so the platform does not share 2 cores with them.
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
