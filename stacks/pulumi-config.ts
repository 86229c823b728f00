import * as pulumi from "@pulumi/pulumi";
import { readPlatformSpec } from "./load.js";
import type { PlatformSpec } from "./schema.js";

/** The running stack's PlatformSpec, from its Pulumi config. */
export function loadPlatformSpec(): PlatformSpec {
  return readPlatformSpec(pulumi.getStack(), (key) => pulumi.runtime.getConfig(key));
}
