import type { Context } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";

/**
 * An OpenTelemetry context whose methods live on its prototype. The API's own context
 * assigns three arrow functions to every new context (`self.getValue = (key) => ...`), and
 * V8 allocates a function literal assigned to a property straight in the old generation
 * (it guesses a method). Each context, with the span it carries and all the span holds,
 * then stays reachable through every scavenge until the next full GC. A context is made
 * per span and per extracted trace parent: several per request, in every service.
 */
export class LeanContext implements Context {
  readonly #values: Map<symbol, unknown>;

  constructor(values?: ReadonlyMap<symbol, unknown>) {
    this.#values = new Map(values);
  }

  getValue(key: symbol): unknown {
    return this.#values.get(key);
  }

  setValue(key: symbol, value: unknown): Context {
    const next = new LeanContext(this.#values);
    next.#values.set(key, value);
    return next;
  }

  deleteValue(key: symbol): Context {
    const next = new LeanContext(this.#values);
    next.#values.delete(key);
    return next;
  }
}

/**
 * The SDK's AsyncLocalStorage context manager, rooted in an empty LeanContext instead of
 * the API's root: every context a request derives from it (setValue) is lean too.
 */
export class LeanContextManager extends AsyncLocalStorageContextManager {
  /** What the parent class answers when no context is active: the API's root context. */
  readonly #apiRoot = super.active();
  readonly #root = new LeanContext();

  override active(): Context {
    const current = super.active();
    return current === this.#apiRoot ? this.#root : current;
  }
}
