import type { DescService, MessageInitShape } from "@bufbuild/protobuf";
import { z } from "zod";
import { count } from "../config.js";
import type { CallCredentials } from "./caller-identity.js";
import { type CallOptions, type Client, createClient, RpcError, Status } from "./client.js";
import { HealthProbe } from "./health-probe.js";

/** At most this many replicas per service: the replicas a call has tried are bits of one number. */
export const maxReplicas = 32;

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;

/**
 * `<NAME>_ADDRESS`: where a callee serves gRPC, one `host:port` (a Kubernetes Service, which
 * balances by itself) or a comma-separated list of replicas the caller balances over
 * (local mode's zones). Parsed to the list of addresses, without duplicates.
 */
export function replicaAddresses(service: string, defaultPort: number) {
  return z
    .string()
    .default(`127.0.0.1:${defaultPort}`)
    .transform((value) => [...new Set(value.split(",").map((a) => a.trim()))])
    .refine((list) => list.every((a) => hostPort.test(a)), {
      error: `must be one host:port or a comma-separated list of replicas, such as "${service}.platform.svc:${defaultPort}" or "127.0.0.1:${defaultPort},127.0.0.1:${defaultPort + 100}"`,
    })
    .refine((list) => list.length <= maxReplicas, { error: `lists more than ${maxReplicas} replicas` })
    .describe(`where ${service} serves gRPC: host:port, or replicas as host:port,host:port`);
}

/** The balancer's settings, for any service that calls others (defaults in `balancerDefaults`). */
export const balancerEnv = {
  RPC_HEALTH_CHECK_INTERVAL_MS: count
    .default(1_000)
    .describe("how often each replica of a callee is health-checked when there are several"),
  RPC_EJECT_AFTER_FAILURES: count
    .pipe(z.number().min(1))
    .default(3)
    .describe("consecutive UNAVAILABLE calls that eject a replica from the balance"),
  RPC_EJECTION_MS: count.default(10_000).describe("how long an ejected replica gets no calls"),
};

/** The balancer settings of a service's configuration. */
export const balancerSettings = (config: z.output<z.ZodObject<typeof balancerEnv>>) => ({
  healthCheckIntervalMs: config.RPC_HEALTH_CHECK_INTERVAL_MS,
  ejectAfterFailures: config.RPC_EJECT_AFTER_FAILURES,
  ejectionMs: config.RPC_EJECTION_MS,
});

export type ReplicaChange = "ejected" | "unhealthy" | "healthy";

export interface BalancerOptions {
  /** The default deadline of a call, all its attempts included. */
  readonly timeoutMs: number;
  /** The caller's token for each call, passed to every replica's client (caller-identity.ts). */
  readonly caller?: CallCredentials;
  /** Health check period per replica (default 1000 ms); each check times out after half of it. */
  readonly healthCheckIntervalMs?: number;
  /** Consecutive UNAVAILABLE answers that eject a replica (default 3). */
  readonly ejectAfterFailures?: number;
  /** How long an ejection lasts (default 10,000 ms), unless a health check sees the replica come back. */
  readonly ejectionMs?: number;
  /** Told when a replica leaves or rejoins the balance, e.g. to log it. */
  readonly onChange?: (replica: string, change: ReplicaChange) => void;
}

export const balancerDefaults = { healthCheckIntervalMs: 1_000, ejectAfterFailures: 3, ejectionMs: 10_000 };

/** What a balanced client knows of one replica, for logs and tests. */
export interface ReplicaState {
  readonly address: string;
  /** The last health check answered SERVING (true until the first check). */
  readonly serving: boolean;
  /** Ejected by consecutive failures, until this time (ms since the epoch); 0 when not. */
  readonly ejectedUntil: number;
  readonly consecutiveFailures: number;
  readonly calls: number;
}

export type BalancedClient<S extends DescService> = Client<S> & {
  /** Each replica's state, in the order of the addresses. */
  replicas(): readonly ReplicaState[];
};

class Replica<S extends DescService> {
  serving = true;
  ejectedUntil = 0;
  consecutiveFailures = 0;
  calls = 0;
  readonly probe: HealthProbe;

  constructor(
    readonly address: string,
    readonly client: Client<S>,
    probeTimeoutMs: number,
  ) {
    this.probe = new HealthProbe(address, probeTimeoutMs);
  }

  available(now: number): boolean {
    return this.serving && this.ejectedUntil <= now;
  }
}

type Invoke = (request: MessageInitShape<never>, options?: CallOptions) => Promise<unknown>;

/**
 * A client over several replicas of one service, with the same type as `createClient`'s:
 *
 * - **balance**: round robin over the replicas that are available (last health check SERVING
 *   and not ejected); when none is, over all of them, since trying beats failing unseen;
 * - **active health checks**: grpc.health.v1.Health/Check on each replica every
 *   `healthCheckIntervalMs`; a replica answering anything but SERVING gets no calls, and one
 *   that answers SERVING again after failing rejoins at once, ending any ejection;
 * - **outlier ejection**: `ejectAfterFailures` UNAVAILABLE answers in a row eject a replica
 *   for `ejectionMs`;
 * - **retries on another replica**, within the call's one deadline, each replica tried at most
 *   once: a call the server never received (refused connection or stream) always, and any
 *   UNAVAILABLE call marked `idempotent`. Other statuses are the service's answer and return
 *   as they are.
 *
 * With one address it is the plain client: no probes, nothing on the hot path.
 */
export function createBalancedClient<S extends DescService>(
  service: S,
  addresses: readonly string[],
  options: BalancerOptions,
): BalancedClient<S> {
  if (addresses.length === 0) throw new Error(`no address to call ${service.typeName} at`);
  if (addresses.length > maxReplicas)
    throw new Error(
      `${service.typeName} has ${addresses.length} replicas; at most ${maxReplicas} are balanced`,
    );
  const clientDefaults = {
    timeoutMs: options.timeoutMs,
    ...(options.caller ? { caller: options.caller } : {}),
  };
  if (addresses.length === 1) {
    const client = createClient(service, addresses[0]!, clientDefaults) as BalancedClient<S>;
    client.replicas = () => [
      { address: addresses[0]!, serving: true, ejectedUntil: 0, consecutiveFailures: 0, calls: 0 },
    ];
    return client;
  }

  const interval = options.healthCheckIntervalMs ?? balancerDefaults.healthCheckIntervalMs;
  const ejectAfter = options.ejectAfterFailures ?? balancerDefaults.ejectAfterFailures;
  const ejectionMs = options.ejectionMs ?? balancerDefaults.ejectionMs;
  const replicas = addresses.map(
    (address) =>
      new Replica(address, createClient(service, address, clientDefaults), Math.max(1, interval / 2)),
  );
  let cursor = 0;

  /** The next replica in turn among those not yet tried: available ones first. */
  const pick = (tried: number): number => {
    const now = Date.now();
    let fallback = -1;
    for (let step = 0; step < replicas.length; step++) {
      const i = (cursor + step) % replicas.length;
      if (tried & (1 << i)) continue;
      if (replicas[i]!.available(now)) {
        cursor = i + 1;
        return i;
      }
      if (fallback < 0) fallback = i;
    }
    cursor = fallback + 1;
    return fallback;
  };

  const observe = (replica: Replica<S>, err: unknown) => {
    if (!(err instanceof RpcError)) return; // not an answer at all (a request that cannot be encoded)
    if (err.code === Status.UNAVAILABLE) {
      replica.consecutiveFailures++;
      if (replica.consecutiveFailures >= ejectAfter && replica.ejectedUntil <= Date.now()) {
        replica.ejectedUntil = Date.now() + ejectionMs;
        options.onChange?.(replica.address, "ejected");
      }
    } else if (err.code !== Status.DEADLINE_EXCEEDED && err.code !== Status.CANCELLED) {
      replica.consecutiveFailures = 0; // it answered: the service's own word
    }
  };

  const call = async (method: string, request: MessageInitShape<never>, callOptions: CallOptions = {}) => {
    const deadline = Date.now() + (callOptions.timeoutMs ?? options.timeoutMs);
    let tried = 0;
    for (let attempt = 1; ; attempt++) {
      const i = pick(tried);
      tried |= 1 << i;
      const replica = replicas[i]!;
      replica.calls++;
      try {
        const invoke = replica.client[method as keyof Client<S>] as unknown as Invoke;
        const response = await invoke(request, {
          ...callOptions,
          timeoutMs: Math.max(1, deadline - Date.now()),
        });
        replica.consecutiveFailures = 0;
        return response;
      } catch (err) {
        observe(replica, err);
        const retry =
          err instanceof RpcError &&
          err.code === Status.UNAVAILABLE &&
          (err.unprocessed || callOptions.idempotent === true) &&
          attempt < replicas.length &&
          deadline - Date.now() >= 1 &&
          !callOptions.signal?.aborted;
        if (!retry) throw err;
      }
    }
  };

  const check = async () => {
    await Promise.all(
      replicas.map(async (replica) => {
        const serving = await replica.probe.check();
        if (serving === replica.serving) return;
        replica.serving = serving;
        if (serving) {
          // Back after failing its checks (a restart): whatever ejected it is over.
          replica.ejectedUntil = 0;
          replica.consecutiveFailures = 0;
        }
        options.onChange?.(replica.address, serving ? "healthy" : "unhealthy");
      }),
    );
  };
  /** A round of checks still running (a slow replica) skips the next tick, never piles up. */
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void check().finally(() => {
      checking = false;
    });
  }, interval);
  timer.unref();

  const client: Record<string, unknown> = {
    close: () => {
      clearInterval(timer);
      for (const replica of replicas) {
        replica.client.close();
        replica.probe.close();
      }
    },
    replicas: (): ReplicaState[] =>
      replicas.map((r) => ({
        address: r.address,
        serving: r.serving,
        ejectedUntil: r.ejectedUntil > Date.now() ? r.ejectedUntil : 0,
        consecutiveFailures: r.consecutiveFailures,
        calls: r.calls,
      })),
  };
  for (const method of service.methods) {
    client[method.localName] = (request: MessageInitShape<never>, callOptions?: CallOptions) =>
      call(method.localName, request, callOptions);
  }
  return client as BalancedClient<S>;
}
