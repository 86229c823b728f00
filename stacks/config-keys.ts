import type { PlatformSpecInput } from "./schema.js";

/** The Pulumi project name; config keys of this program live in its namespace. */
export const project = "platform";

type Section = keyof PlatformSpecInput;

/**
 * Where each spec section lives in stack config. Every section is a `platform:` key
 * except the region, which is the AWS provider's own `aws:region`.
 */
export const configKeys: Record<Section, string> = {
  environment: `${project}:environment`,
  region: "aws:region",
  tags: `${project}:tags`,
  network: `${project}:network`,
  cluster: `${project}:cluster`,
  postgres: `${project}:postgres`,
  redis: `${project}:redis`,
  search: `${project}:search`,
  kafka: `${project}:kafka`,
  edge: `${project}:edge`,
  release: `${project}:release`,
  observability: `${project}:observability`,
  alerting: `${project}:alerting`,
};

/** Renders a spec path as the config key a user edits, e.g. `platform:network.zones[1]`. */
export function configPath(path: readonly PropertyKey[]): string {
  const [section, ...rest] = path;
  const key = configKeys[section as Section] ?? `${project}:${String(section)}`;
  return rest.reduce<string>(
    (acc, part) => (typeof part === "number" ? `${acc}[${part}]` : `${acc}.${String(part)}`),
    key,
  );
}
