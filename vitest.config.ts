import { defineConfig } from "vitest/config";

const slow = ["**/*.int.test.ts", "**/*.e2e.test.ts"];

export default defineConfig({
  test: {
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
