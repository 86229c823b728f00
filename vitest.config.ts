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
          testTimeout: 30_000,
        },
      },
    ],
  },
});
