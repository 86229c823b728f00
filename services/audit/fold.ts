import { canonicalJson } from "./chain.js";

/**
 * Rebuilding an entity from its events. Every event carries the entity's full state after
 * the change under `data.<entity type>` (null when the change deleted it), so folding the
 * events in order is: a state replaces the one before, null removes it, and an event
 * without that key leaves it as it was.
 */
export type EntityState = { readonly exists: true; readonly value: unknown } | { readonly exists: false };

export const absent: EntityState = { exists: false };

function hasState(entityType: string, data: unknown): data is Record<string, unknown> {
  return typeof data === "object" && data !== null && !Array.isArray(data) && Object.hasOwn(data, entityType);
}

/** The state after one more event. */
export function applyEvent(state: EntityState, entityType: string, data: unknown): EntityState {
  if (!hasState(entityType, data)) return state;
  const value = data[entityType];
  return value === null ? absent : { exists: true, value };
}

/** The state after `events` (their data, in recorded order), starting from nothing. */
export function foldEntity(entityType: string, events: Iterable<{ readonly data: unknown }>): EntityState {
  let state = absent;
  for (const event of events) state = applyEvent(state, entityType, event.data);
  return state;
}

/** The state as StateAt answers it: canonical JSON, or "" when the entity does not exist. */
export const stateJson = (state: EntityState) => (state.exists ? canonicalJson(state.value) : "");
