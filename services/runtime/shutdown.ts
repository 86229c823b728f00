import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "./logger.js";

export interface ShutdownPlan {
  /** Stop accepting new work (close listeners, stop consumers). */
  stopAccepting(): Promise<void>;
  /** Work still in progress; shutdown waits for it to reach zero, up to the drain timeout. */
  inFlight(): number;
  /** Release resources once drained (pools, clients, telemetry flush), in order. */
  close: readonly (() => Promise<unknown>)[];
  drainSeconds: number;
}

/**
 * Graceful shutdown on SIGTERM or SIGINT: stop accepting, drain in-flight calls (bounded),
 * close pools, then exit. Kubernetes sends SIGTERM after the preStop hook; the grace period
 * is longer than the drain, so nothing is cut mid-request.
 */
export function onShutdown(plan: ShutdownPlan, logger: Logger): () => Promise<void> {
  let shutting: Promise<void> | undefined;
  const shutdown = () => {
    shutting ??= (async () => {
      // A process may run several services (tests do): a stopped one no longer listens.
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      logger.info({ inFlight: plan.inFlight() }, "shutting down: no longer accepting work");
      await plan.stopAccepting();
      const deadline = Date.now() + plan.drainSeconds * 1000;
      while (plan.inFlight() > 0 && Date.now() < deadline) await sleep(50);
      if (plan.inFlight() > 0)
        logger.warn({ inFlight: plan.inFlight() }, "drain timeout: abandoning in-flight work");
      for (const close of plan.close) {
        await close().catch((err: unknown) => logger.error({ err }, "error while closing"));
      }
      logger.info("shutdown complete");
    })();
    return shutting;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, "signal received");
    shutdown().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  return shutdown;
}
