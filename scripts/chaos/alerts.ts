/**
 * Which alerts the local Prometheus raised during an experiment: its `/api/v1/alerts`,
 * polled while the experiment runs, each alert kept at the furthest state it reached.
 */

export type AlertState = "pending" | "firing";

/** An alert as reported: `ApiLatencyP99High gateway`, and the furthest state it reached. */
export interface SeenAlert {
  readonly name: string;
  readonly service: string | undefined;
  readonly state: AlertState;
  /** When it went pending (epoch ms), as Prometheus reports it; undefined if it did not say. */
  readonly activeAt?: number | undefined;
}

interface PrometheusAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly state: string;
  readonly activeAt?: string;
}

/** The alerts in one `/api/v1/alerts` answer (pending and firing; inactive ones are not listed). */
export function parseAlerts(body: unknown): SeenAlert[] {
  const alerts = (body as { data?: { alerts?: PrometheusAlert[] } })?.data?.alerts ?? [];
  return alerts
    .filter((a) => a.state === "pending" || a.state === "firing")
    .map((a) => ({
      name: a.labels["alertname"] ?? "(unnamed)",
      service: a.labels["service"],
      state: a.state as AlertState,
      activeAt: a.activeAt === undefined ? undefined : Date.parse(a.activeAt),
    }));
}

const keyOf = (a: Pick<SeenAlert, "name" | "service">) => `${a.name}\u0000${a.service ?? ""}`;

/** Keeps each alert at the furthest state seen: firing beats pending. */
export function mergeAlerts(seen: readonly SeenAlert[], now: readonly SeenAlert[]): SeenAlert[] {
  const merged = new Map(seen.map((a) => [keyOf(a), a]));
  for (const alert of now) {
    const before = merged.get(keyOf(alert));
    if (!before || (before.state === "pending" && alert.state === "firing")) merged.set(keyOf(alert), alert);
  }
  return [...merged.values()].sort(
    (a, b) => a.name.localeCompare(b.name) || (a.service ?? "").localeCompare(b.service ?? ""),
  );
}

/**
 * One line: `orders-latency-burn firing, gateway-api-latency pending`. Local rules are named
 * by their uid, which starts with the service; the service is added where it does not.
 */
export function describeAlerts(alerts: readonly SeenAlert[]): string {
  if (alerts.length === 0) return "none";
  const label = (a: SeenAlert) =>
    a.service && !a.name.startsWith(`${a.service}-`) ? `${a.name} (${a.service})` : a.name;
  return alerts.map((a) => `${label(a)} ${a.state}`).join(", ");
}

/**
 * Alerts raised since `since` (they went pending then or later), apart from those still
 * active from before: a burn-rate alert looks back minutes to days, so one raised by an
 * earlier experiment is still there during the next.
 */
export function raisedSince(
  alerts: readonly SeenAlert[],
  since: number,
): { raised: SeenAlert[]; earlier: SeenAlert[] } {
  const raised = alerts.filter((a) => a.activeAt === undefined || a.activeAt >= since);
  return { raised, earlier: alerts.filter((a) => !raised.includes(a)) };
}

/** Polls Prometheus every `intervalMs` until stopped, remembering every alert it showed. */
export class AlertWatch {
  #seen: SeenAlert[] = [];
  #errors = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prometheusUrl: string,
    private readonly intervalMs = 5_000,
  ) {}

  start(): void {
    void this.#look();
    this.#timer = setInterval(() => void this.#look(), this.intervalMs);
  }

  /** One read of Prometheus's alerts, merged into what was seen; a failed read is counted. */
  async #look(): Promise<void> {
    try {
      const response = await fetch(`${this.prometheusUrl}/api/v1/alerts`, {
        signal: AbortSignal.timeout(3_000),
      });
      this.#seen = mergeAlerts(this.#seen, parseAlerts(await response.json()));
    } catch {
      this.#errors++;
    }
  }

  /** Stops polling after one last look, and returns what was seen. */
  async stop(): Promise<{ alerts: SeenAlert[]; pollErrors: number }> {
    clearInterval(this.#timer);
    await this.#look();
    return { alerts: this.#seen, pollErrors: this.#errors };
  }
}
