/**
 * The Pulumi program. `pulumi up` loads this module (Pulumi.yaml `main: infra/`) and runs
 * its default export; `npm run plan` runs the very same function against offline mocks.
 */
import { loadServiceRegistry } from "../services/registry.js";
import { loadPlatformSpec } from "../stacks/pulumi-config.js";
import { declarePlatform } from "./platform.js";

export default async function platform(): Promise<Record<string, unknown>> {
  const spec = loadPlatformSpec();
  const services = await loadServiceRegistry();
  return declarePlatform(spec, services);
}
