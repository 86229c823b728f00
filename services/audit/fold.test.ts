import { describe, expect, it } from "vitest";
import { absent, foldEntity, stateJson } from "./fold.js";

const event = (data: unknown) => ({ data });

describe("folding an entity from its events", () => {
  it("is absent before any event", () => {
    expect(foldEntity("order", [])).toEqual(absent);
    expect(stateJson(absent)).toBe("");
  });

  it("takes the state of the latest event that carries one", () => {
    const state = foldEntity("order", [
      event({ order: { id: "o-1", status: "placed" } }),
      event({ order: { id: "o-1", status: "confirmed" } }),
    ]);
    expect(stateJson(state)).toBe('{"id":"o-1","status":"confirmed"}');
  });

  it("leaves the state as it was for an event without the entity's key", () => {
    const state = foldEntity("order", [
      event({ order: { status: "placed" } }),
      event({ note: "paid" }),
      event(null),
    ]);
    expect(state).toEqual({ exists: true, value: { status: "placed" } });
  });

  it("removes the entity on null and brings it back with a later state", () => {
    const deleted = [event({ apikey: { id: "k" } }), event({ apikey: null })];
    expect(foldEntity("apikey", deleted)).toEqual(absent);
    expect(foldEntity("apikey", [...deleted, event({ apikey: { id: "k", name: "again" } })])).toEqual({
      exists: true,
      value: { id: "k", name: "again" },
    });
  });

  it("reads only the key of its own entity type", () => {
    expect(foldEntity("product", [event({ order: { id: "o-1" } }), event(["product"])])).toEqual(absent);
  });

  it("answers canonical JSON, whatever the producer's key order", () => {
    expect(stateJson({ exists: true, value: { b: 1, a: { d: 2, c: 3 } } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
});
