import * as pulumi from "@pulumi/pulumi";
import { project } from "../../stacks/config-keys.js";
import { cloudMocks } from "./mocks.js";
import type { Plan } from "./plan-types.js";
import { ResourceRecorder, waitForRegistrations } from "./recorder.js";
import { readStackConfig } from "./stack-config.js";

/** A Pulumi program: what `infra/index.ts` default-exports. */
export type Program = () => Promise<Record<string, unknown> | undefined>;

/**
 * Points the Pulumi runtime at offline mocks for `stack`, with its config loaded from
 * `Pulumi.<stack>.yaml`, and returns the recorder that will see every registration.
 */
export function useOfflineStack(stack: string, root = process.cwd()): ResourceRecorder {
  const config = readStackConfig(stack, root);
  const region = config.values["aws:region"];
  if (!region)
    throw new Error(
      `Pulumi.${stack}.yaml: aws:region is missing; expected an AWS region such as "eu-west-1"`,
    );
  pulumi.runtime.setAllConfig(config.values, [...config.secretKeys]);
  pulumi.runtime.setMocks(cloudMocks(region), project, stack, false);
  return new ResourceRecorder().attach();
}

/**
 * Runs the real program against offline mocks: the `pulumi preview` of a fresh stack,
 * without the CLI or credentials. Returns every resource the program declares.
 */
export async function planStack(stack: string, program: Program, root = process.cwd()): Promise<Plan> {
  const recorder = useOfflineStack(stack, root);
  await pulumi.runtime.runInPulumiStack(program);
  await waitForRegistrations();
  return { stack, resources: recorder.resources() };
}
