/**
 * A fault switch for drills on one machine: a slow path. With it on, the RPC server waits
 * before running the handler, inside the request's metrics and span, so the latency
 * histogram, the traces, the p99 alert and everything downstream see a slow service.
 *
 *   PLATFORM_FAULT_SLOW_MS=300          delay every call this many milliseconds
 *   PLATFORM_FAULT_SLOW_ROUTE=GetProduct   only this RPC (the `route` label); default: all
 *
 * Both are ignored unless PLATFORM_ALLOW_FAULTS=true, which only local mode sets
 * (local/service-env.ts), and always when NODE_ENV=production, which the service image sets:
 * a stray variable in a pod spec cannot slow production down.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ConfigError } from "./config.js";

export interface SlowPathFault {
  readonly delayMs: number;
  /** The RPC slowed down; every RPC when undefined. */
  readonly route?: string;
}

export const faultEnv = {
  allow: "PLATFORM_ALLOW_FAULTS",
  slowMs: "PLATFORM_FAULT_SLOW_MS",
  slowRoute: "PLATFORM_FAULT_SLOW_ROUTE",
} as const;

export interface FaultSettings {
  readonly slowPath?: SlowPathFault;
  /** Why a requested fault is off, for a warning in the log. */
  readonly ignored?: string;
}

/** The faults `env` asks for and allows. */
export function faultsFromEnv(env: NodeJS.ProcessEnv): FaultSettings {
  const raw = env[faultEnv.slowMs];
  if (raw === undefined || raw === "") return {};
  if (env["NODE_ENV"] === "production")
    return { ignored: `${faultEnv.slowMs} is ignored: faults never run with NODE_ENV=production` };
  if (env[faultEnv.allow] !== "true")
    return { ignored: `${faultEnv.slowMs} is ignored without ${faultEnv.allow}=true (local mode sets it)` };
  const delayMs = Number(raw);
  if (!Number.isInteger(delayMs) || delayMs < 1 || delayMs > 60_000)
    throw new ConfigError(
      `${faultEnv.slowMs} must be a whole number of milliseconds from 1 to 60000; got "${raw}"`,
    );
  const route = env[faultEnv.slowRoute] || undefined;
  return { slowPath: route ? { delayMs, route } : { delayMs } };
}

/** `handler`, delayed first when the fault applies to `route`; the delay ends early if the call is cancelled. */
export function withSlowPath<R, C extends { readonly signal: AbortSignal }, O>(
  handler: (request: R, call: C) => Promise<O>,
  route: string,
  fault: SlowPathFault | undefined,
): (request: R, call: C) => Promise<O> {
  if (!fault || (fault.route !== undefined && fault.route !== route)) return handler;
  return async (request, call) => {
    await sleep(fault.delayMs, undefined, { signal: call.signal });
    return handler(request, call);
  };
}
