/**
 * Vitest global setup of the unit project: builds `otelcol-platform` with the project's
 * own script (local/collector-build.ts) before any test runs, or finds it cached, and
 * hands its path to the tests that validate the collector configuration. A cold build
 * takes 9 to 11 minutes on two cores and prints progress; later runs take well under a second.
 */
import type { TestProject } from "vitest/node";
import { ensureCollector } from "../local/collector-build.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The path of the built `otelcol-platform` binary. */
    otelcolBinary: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide("otelcolBinary", await ensureCollector());
}
