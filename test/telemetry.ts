/** Helpers for tests that read telemetry back: polling, and the Prometheus HTTP API. */
import { setTimeout as sleep } from "node:timers/promises";

/** Polls `probe` every 200 ms until it returns something other than undefined. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(200);
  }
}

export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** An instant query (`/api/v1/query`): the samples of the resulting vector. */
export async function promQuery(prometheusUrl: string, expr: string): Promise<VectorSample[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: expr })}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: VectorSample[] };
  };
  if (body.status !== "success" || body.data?.resultType !== "vector")
    throw new Error(`Prometheus refused ${expr}: ${body.error ?? JSON.stringify(body)}`);
  return body.data.result;
}

export interface PrometheusAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing";
  readonly activeAt: string;
  readonly value: string;
}

/** The alerts Prometheus holds now (`/api/v1/alerts`): pending and firing. */
export async function promAlerts(prometheusUrl: string): Promise<PrometheusAlert[]> {
  const response = await fetch(`${prometheusUrl}/api/v1/alerts`);
  const body = (await response.json()) as { data: { alerts: PrometheusAlert[] } };
  return body.data.alerts;
}
