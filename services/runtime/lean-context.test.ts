import { context, createContextKey, defaultTextMapGetter, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LeanContext, LeanContextManager } from "./lean-context.js";
import { moduleUrl, promotedBytes } from "./test-promotion.js";

const key = createContextKey("order");
const other = createContextKey("user");

describe("LeanContext", () => {
  it("derives new contexts and leaves its own values as they were", () => {
    const root = new LeanContext();
    const withOrder = root.setValue(key, "o-1");
    const withBoth = withOrder.setValue(other, "u-1");
    expect(root.getValue(key)).toBeUndefined();
    expect(withOrder.getValue(key)).toBe("o-1");
    expect(withOrder.getValue(other)).toBeUndefined();
    expect([withBoth.getValue(key), withBoth.getValue(other)]).toEqual(["o-1", "u-1"]);
    const without = withBoth.deleteValue(key);
    expect(without.getValue(key)).toBeUndefined();
    expect(withBoth.getValue(key)).toBe("o-1");
    expect(without).toBeInstanceOf(LeanContext);
  });

  it("lets a scavenge free a context's values, where the API's own context keeps them", () => {
    const results = promotedBytes(`
      const { ROOT_CONTEXT, createContextKey } = await import("@opentelemetry/api");
      const { LeanContext } = await import("${moduleUrl("lean-context.ts")}");
      const key = createContextKey("span");
      const derive = (root) => async () => { root.setValue(key, new Array(1024).fill(0.5)); };
      report({ api: await measure(derive(ROOT_CONTEXT)), lean: await measure(derive(new LeanContext())) });
    `);
    // Each value is 8 KB.
    expect(results["api"]).toBeGreaterThan(4_000);
    expect(results["lean"]).toBeLessThan(500);
  });
});

describe("LeanContextManager", () => {
  beforeAll(() => context.setGlobalContextManager(new LeanContextManager().enable()));
  afterAll(() => context.disable());

  it("roots every context a request derives in a lean one", () => {
    expect(context.active()).toBeInstanceOf(LeanContext);
    const parent = new W3CTraceContextPropagator().extract(
      context.active(),
      { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
      defaultTextMapGetter,
    );
    expect(parent).toBeInstanceOf(LeanContext);
    expect(trace.getSpanContext(parent)?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    const value = context.with(parent.setValue(key, "o-1"), () => context.active().getValue(key));
    expect(value).toBe("o-1");
  });

  it("treats the API's root, made active, as the lean root", () => {
    expect(context.with(ROOT_CONTEXT, () => context.active())).toBeInstanceOf(LeanContext);
  });
});
