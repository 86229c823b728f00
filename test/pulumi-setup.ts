/**
 * Vitest setup for infrastructure tests: before a test file imports any program code, the
 * Pulumi runtime is pointed at the offline mocks with the stack's config from
 * `Pulumi.<stack>.yaml` (prod unless PLATFORM_TEST_STACK says otherwise).
 */
import { useOfflineStack } from "../scripts/plan/run.js";

export const testStack = process.env["PLATFORM_TEST_STACK"] ?? "prod";
export const recorder = useOfflineStack(testStack);
