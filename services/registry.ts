import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deadLetterTopic, eventsTopic, type ServiceSpec } from "../contracts/service-spec.js";

/** A service with everything derived from the whole registry resolved. */
export interface RegisteredService extends ServiceSpec {
  /** The topic it publishes to, if it publishes. */
  readonly topic: string | undefined;
  /** The topics it consumes ("all" resolved to every other publisher's topic). */
  readonly consumedTopics: readonly string[];
  /** Its dead-letter topic, if it consumes. */
  readonly deadLetterTopic: string | undefined;
  /** Services that call it. */
  readonly callers: readonly string[];
}

const servicesDir = dirname(fileURLToPath(import.meta.url));

/**
 * Resolves cross-service facts and checks the registry is consistent: unique names and
 * ports, calls and consumed domains that exist. Pure, so it is tested without files.
 */
export function resolveRegistry(specs: readonly ServiceSpec[]): RegisteredService[] {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const problems: string[] = [];
  const seen = new Map<number, string>();
  for (const s of specs) {
    const other = seen.get(s.port);
    if (other) problems.push(`${s.name}: port ${s.port} is already used by ${other}`);
    seen.set(s.port, s.name);
    for (const callee of s.calls) {
      if (!byName.has(callee)) problems.push(`${s.name}: calls unknown service "${callee}"`);
      if (callee === s.name) problems.push(`${s.name}: calls itself`);
    }
    for (const [rpc, callers] of Object.entries(s.methodCallers))
      for (const caller of callers)
        if (!byName.get(caller)?.calls.includes(s.name))
          problems.push(`${s.name}: methodCallers.${rpc} names ${caller}, which does not call ${s.name}`);
    if (s.events.consumes !== "all") {
      for (const domain of s.events.consumes) {
        if (!byName.get(domain)?.events.publishes)
          problems.push(`${s.name}: consumes "${domain}", which publishes no events`);
      }
    }
  }
  if (byName.size !== specs.length) problems.push("two services share a name");
  if (problems.length > 0)
    throw new Error(`the service registry is inconsistent:\n  - ${problems.join("\n  - ")}`);

  const publishers = specs.filter((s) => s.events.publishes).map((s) => s.name);
  return specs.map((s) => {
    const domains = s.events.consumes === "all" ? publishers.filter((p) => p !== s.name) : s.events.consumes;
    return {
      ...s,
      topic: s.events.publishes ? eventsTopic(s.name) : undefined,
      consumedTopics: domains.map(eventsTopic),
      deadLetterTopic: domains.length > 0 ? deadLetterTopic(s.name) : undefined,
      callers: specs.filter((c) => c.calls.includes(s.name)).map((c) => c.name),
    };
  });
}

/** Every folder under services/ with a `service.ts`, sorted by name: adding a service is adding a folder. */
export function serviceFolders(dir = servicesDir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, "service.ts")))
    .map((entry) => entry.name)
    .sort();
}

/**
 * Loads and resolves every service declaration. The import is a relative template literal
 * so that a bundler (esbuild, for the fast plan: scripts/bundled.ts) includes every
 * declaration, and this lookup keeps working from the bundle.
 */
export async function loadServiceRegistry(): Promise<RegisteredService[]> {
  const specs: ServiceSpec[] = [];
  for (const folder of serviceFolders()) {
    const module = (await import(`./${folder}/service.ts`)) as { default?: ServiceSpec };
    if (!module.default)
      throw new Error(`services/${folder}/service.ts must default-export defineService({...})`);
    if (module.default.name !== folder) {
      throw new Error(
        `services/${folder}/service.ts declares name "${module.default.name}"; it must match its folder`,
      );
    }
    specs.push(module.default);
  }
  return resolveRegistry(specs);
}
