import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings.js";
import { type PlannedResource, secretMask } from "./plan-types.js";

type Callback = (err: unknown, response: { getUrn(): string; getId(): string } | undefined) => void;
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
  getPropertydependenciesMap(): {
    forEach(cb: (deps: { getUrnsList(): string[] }, key: string) => void): void;
  };
}
interface RecordableMonitor {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
}

/**
 * Resolves once every resource registration sent so far has been answered. The SDK's
 * language host uses the same drain before it disconnects; it is internal, hence the cast.
 */
export const waitForRegistrations = (settings as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;

/** Replaces every secret value, however deeply nested, by the mask. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return secretMask;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

/**
 * Records every resource registration that reaches the mock monitor, with the parent
 * URN the engine sees (the mocks' own callback is not told the parent).
 */
export class ResourceRecorder {
  readonly #resources: PlannedResource[] = [];
  readonly #ids = new Map<string, string>();

  /** Wraps the monitor currently installed by `pulumi.runtime.setMocks`. */
  attach(): this {
    const monitor = pulumi.runtime.getMonitor() as unknown as RecordableMonitor | undefined;
    if (!monitor) throw new Error("no Pulumi monitor: call pulumi.runtime.setMocks before attaching");
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
      register(req, (err, response) => {
        if (!err && response) {
          this.#record(req, response.getUrn());
          this.#ids.set(response.getUrn(), response.getId());
        }
        callback(err, response);
      });
    return this;
  }

  #record(req: RegisterRequest, urn: string): void {
    const inputs = pulumi.runtime.deserializeProperties(req.getObject()) as Record<string, unknown>;
    const dependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((deps, key) => {
      const urns = [...new Set(deps.getUrnsList())].sort();
      if (urns.length > 0) dependencies[key] = urns;
    });
    this.#resources.push({
      urn,
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent() || null,
      custom: req.getCustom(),
      inputs: maskSecrets(inputs) as Record<string, unknown>,
      dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
    });
  }

  /** The physical id the mocks gave a resource ("" for components). */
  idOf(urn: string): string | undefined {
    return this.#ids.get(urn);
  }

  /** Everything registered so far, sorted by URN so that equal programs give equal lists. */
  resources(): PlannedResource[] {
    return [...this.#resources].sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  }
}
