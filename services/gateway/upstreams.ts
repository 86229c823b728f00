import { setTimeout as sleep } from "node:timers/promises";
import type { DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { z } from "zod";
import type { ServiceSpec } from "../../contracts/service-spec.js";
import audit from "../audit/service.js";
import catalog from "../catalog/service.js";
import { AuditService } from "../gen/platform/audit/v1/audit_pb.js";
import { CatalogService } from "../gen/platform/catalog/v1/catalog_pb.js";
import { IdentityService } from "../gen/platform/identity/v1/identity_pb.js";
import { NotificationsService } from "../gen/platform/notifications/v1/notifications_pb.js";
import { OrdersService } from "../gen/platform/orders/v1/orders_pb.js";
import { SearchService } from "../gen/platform/search/v1/search_pb.js";
import identity from "../identity/service.js";
import notifications from "../notifications/service.js";
import orders from "../orders/service.js";
import { count } from "../runtime/config.js";
import type { Logger } from "../runtime/logger.js";
import {
  balancerEnv,
  balancerSettings,
  createBalancedClient,
  replicaAddresses,
} from "../runtime/rpc/balancer.js";
import type { CallerIdentity } from "../runtime/rpc/caller-identity.js";
import { type Client, RpcError, Status } from "../runtime/rpc/client.js";
import search from "../search/service.js";
import { CircuitBreaker } from "./breaker.js";
import { UpstreamError } from "./problems.js";

/** Every service the gateway routes to, with its contract and its declaration (for the port). */
const upstreamServices = {
  identity: { rpc: IdentityService, spec: identity },
  catalog: { rpc: CatalogService, spec: catalog },
  search: { rpc: SearchService, spec: search },
  orders: { rpc: OrdersService, spec: orders },
  notifications: { rpc: NotificationsService, spec: notifications },
  audit: { rpc: AuditService, spec: audit },
} as const satisfies Record<string, { rpc: DescService; spec: ServiceSpec }>;

export type UpstreamName = keyof typeof upstreamServices;
export type UpstreamService<U extends UpstreamName> = (typeof upstreamServices)[U]["rpc"];
export const upstreamNames = Object.keys(upstreamServices) as UpstreamName[];

/**
 * `<NAME>_ADDRESS` per upstream: one host:port or a comma-separated list of replicas,
 * defaulting to 127.0.0.1 and the port its service.ts declares.
 */
const addressEnv = Object.fromEntries(
  upstreamNames.map((name) => [
    `${name.toUpperCase()}_ADDRESS`,
    replicaAddresses(name, upstreamServices[name].spec.port),
  ]),
) as Record<`${Uppercase<UpstreamName>}_ADDRESS`, ReturnType<typeof replicaAddresses>>;

export const upstreamEnv = {
  ...addressEnv,
  ...balancerEnv,
  UPSTREAM_RETRIES: count
    .default(2)
    .describe("retries of an idempotent read that found its upstream UNAVAILABLE"),
  UPSTREAM_RETRY_BASE_MS: count.default(25).describe("first retry backoff; doubles, with full jitter"),
  BREAKER_FAILURES: count.default(5).describe("consecutive upstream failures that open its circuit"),
  BREAKER_OPEN_MS: count.default(5_000).describe("how long an open circuit refuses calls before probing"),
  BREAKER_HALF_OPEN_PROBES: count.default(1).describe("calls let through at once by a half-open circuit"),
};

export type UpstreamConfig = z.output<z.ZodObject<typeof upstreamEnv>>;

export interface CallSettings {
  /** The whole budget of the call, retries included. */
  readonly deadlineMs: number;
  /** Safe to repeat (a read): retried with backoff when the upstream is UNAVAILABLE. */
  readonly idempotent: boolean;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
}

type Method<S extends DescService> = keyof S["method"] & string;
type Input<S extends DescService, K extends Method<S>> = MessageInitShape<S["method"][K]["input"]>;
type Output<S extends DescService, K extends Method<S>> = MessageShape<S["method"][K]["output"]>;

/** Statuses that say the upstream is unhealthy; the breaker counts only these. */
const unhealthy = new Set<number>([
  Status.UNAVAILABLE,
  Status.DEADLINE_EXCEEDED,
  Status.INTERNAL,
  Status.UNKNOWN,
]);

/**
 * One upstream service: a client balanced over its replicas (one HTTP/2 session each; with
 * one address, the plain client), its circuit breaker and the retry policy. The balancer
 * retries a call on another replica first (runtime/rpc/balancer.ts); these retries, with
 * backoff, are for when every replica failed it. A failed call throws UpstreamError, which the gateway maps to a problem.
 */
export class Upstream<S extends DescService> {
  readonly breaker: CircuitBreaker;

  constructor(
    readonly name: string,
    readonly client: Client<S>,
    private readonly settings: { retries: number; retryBaseMs: number },
    breaker: CircuitBreaker,
  ) {
    this.breaker = breaker;
  }

  async call<K extends Method<S>>(
    method: K,
    request: Input<S, K>,
    call: CallSettings,
  ): Promise<Output<S, K>> {
    const deadline = Date.now() + call.deadlineMs;
    const invoke = this.client[method] as unknown as (
      request: Input<S, K>,
      options: {
        timeoutMs: number;
        idempotent: boolean;
        metadata?: Readonly<Record<string, string>>;
        signal?: AbortSignal;
      },
    ) => Promise<Output<S, K>>;
    for (let attempt = 0; ; attempt++) {
      if (!this.breaker.tryAcquire()) {
        const wait = Math.ceil(this.breaker.retryInMs() / 1000);
        throw new UpstreamError(
          this.name,
          new RpcError(Status.UNAVAILABLE, `circuit open; next probe in ${wait} s`),
        );
      }
      try {
        const response = await invoke(request, {
          timeoutMs: Math.max(1, deadline - Date.now()),
          idempotent: call.idempotent,
          ...(call.metadata ? { metadata: call.metadata } : {}),
          ...(call.signal ? { signal: call.signal } : {}),
        });
        this.breaker.success();
        return response;
      } catch (err) {
        const rpc = err instanceof RpcError ? err : new RpcError(Status.UNKNOWN, String(err));
        if (unhealthy.has(rpc.code)) this.breaker.failure();
        else if (rpc.code === Status.CANCELLED) this.breaker.release();
        else this.breaker.success();
        const backoff = Math.random() * this.settings.retryBaseMs * 2 ** attempt;
        const retry =
          call.idempotent &&
          rpc.code === Status.UNAVAILABLE &&
          attempt < this.settings.retries &&
          deadline - Date.now() > backoff + 5;
        if (!retry) throw new UpstreamError(this.name, rpc);
        await sleep(backoff);
      }
    }
  }
}

export type Upstreams = { readonly [U in UpstreamName]: Upstream<UpstreamService<U>> } & {
  close(): void;
};

/**
 * Creates a client (lazy: it connects on first call) and a breaker for every upstream. Each
 * call carries the gateway's call token for that upstream, naming the request's principal.
 */
export function createUpstreams(config: UpstreamConfig, logger: Logger, caller: CallerIdentity): Upstreams {
  const upstreams: Record<string, Upstream<DescService>> = {};
  for (const name of upstreamNames) {
    const targets = config[`${name.toUpperCase() as Uppercase<UpstreamName>}_ADDRESS`];
    const target = targets.join(",");
    const breaker = new CircuitBreaker({
      failureThreshold: Math.max(1, config.BREAKER_FAILURES),
      openMs: config.BREAKER_OPEN_MS,
      halfOpenProbes: Math.max(1, config.BREAKER_HALF_OPEN_PROBES),
      onChange: (from, to) =>
        logger[to === "open" ? "warn" : "info"](
          { upstream: name, target, from, to },
          `circuit of ${name} ${to}`,
        ),
    });
    upstreams[name] = new Upstream(
      name,
      createBalancedClient(upstreamServices[name].rpc as DescService, targets, {
        timeoutMs: 5_000,
        caller: caller.towards(name),
        ...balancerSettings(config),
        onChange: (replica, change) =>
          logger[change === "healthy" ? "info" : "warn"](
            { upstream: name, replica, change },
            `replica ${replica} of ${name} ${change}`,
          ),
      }),
      { retries: config.UPSTREAM_RETRIES, retryBaseMs: config.UPSTREAM_RETRY_BASE_MS },
      breaker,
    );
  }
  const close = () => {
    for (const upstream of Object.values(upstreams)) upstream.client.close();
  };
  return { ...upstreams, close } as unknown as Upstreams;
}
