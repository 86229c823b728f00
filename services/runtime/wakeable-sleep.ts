/**
 * How a background loop (the outbox relay, the webhook delivery worker) waits between
 * rounds: up to a poll interval, or until something wakes it (a NOTIFY, finished work,
 * shutdown). A wake-up while nobody sleeps is not kept: the loop looks for work before it
 * sleeps again anyway.
 */
export class WakeableSleep {
  #wake: (() => void) | undefined;

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }

  wake(): void {
    this.#wake?.();
  }
}
