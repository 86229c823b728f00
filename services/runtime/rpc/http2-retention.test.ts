import { AsyncLocalStorage, AsyncResource, executionAsyncId } from "node:async_hooks";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moduleUrl, promotedBytes } from "../test-promotion.js";
import { releaseWhenClosed, useLeanAsyncResourceBind } from "./http2-retention.js";

describe("useLeanAsyncResourceBind", () => {
  useLeanAsyncResourceBind();

  it("runs the bound function in the resource's scope, with its this and arguments", () => {
    const store = new AsyncLocalStorage<string>();
    const resource = store.run("request 7", () => new AsyncResource("PendingRequest"));
    const bound = resource.bind(function (this: unknown, a: number, b: number) {
      return { id: executionAsyncId(), store: store.getStore(), self: this, sum: a + b };
    });
    const receiver = { name: "receiver" };
    expect(bound.call(receiver, 2, 3)).toEqual({
      id: resource.asyncId(),
      store: "request 7",
      self: receiver,
      sum: 5,
    });
    // Node's bind takes a `this` too, which its types leave out.
    const bindTo = resource.bind.bind(resource) as (fn: unknown, thisArg: unknown) => (x: number) => unknown;
    expect(
      bindTo(function (this: unknown, x: number) {
        return [this, x * 2];
      }, receiver)(21),
    ).toEqual([receiver, 42]);
  });

  it("keeps Node's length and asyncResource properties", () => {
    const resource = new AsyncResource("PendingRequest");
    const bound = resource.bind((_a: number, _b: number, _c: number) => undefined);
    expect(bound.length).toBe(3);
    expect(Object.keys(bound)).toEqual(["asyncResource"]);
    expect((bound as unknown as { asyncResource: AsyncResource }).asyncResource).toBe(resource);
  });

  it("refuses what is not a function with Node's own error", () => {
    expect(() => new AsyncResource("x").bind("nope" as never)).toThrow(
      expect.objectContaining({ code: "ERR_INVALID_ARG_TYPE" }),
    );
  });

  it("leaves nothing a bound call captured in the old generation, where Node's bind does", () => {
    const results = promotedBytes(`
      const { AsyncResource } = await import("node:async_hooks");
      const bindOnce = async () => { const payload = new Array(1024).fill(0.5); new AsyncResource("x").bind(() => payload.length)(); };
      const node = await measure(bindOnce);
      (await import("${moduleUrl("rpc", "http2-retention.ts")}")).useLeanAsyncResourceBind();
      report({ node, lean: await measure(bindOnce) });
    `);
    // Each payload is 8 KB: Node's bind carries most of them into the old generation.
    expect(results["node"]).toBeGreaterThan(4_000);
    expect(results["lean"]).toBeLessThan(500);
  });
});

describe("releaseWhenClosed", () => {
  let server: http2.Http2Server;
  let port: number;
  const serverStreams: http2.ServerHttp2Stream[] = [];
  beforeAll(async () => {
    server = http2.createServer((_req, res) => res.end("ok"));
    server.on("stream", (stream) => {
      releaseWhenClosed(stream);
      serverStreams.push(stream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it("empties both ends of a finished call, and Node's getters still answer", async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const stream = session.request({ ":path": "/" });
    releaseWhenClosed(stream);
    stream.on("data", () => undefined);
    await new Promise((resolve) => stream.on("close", resolve));
    session.close();
    await nextTurn();
    for (const ended of [stream, serverStreams.at(-1)!]) {
      expect(ended.eventNames()).toEqual(["error"]);
      expect(Object.getOwnPropertySymbols(ended).every((key) => ended[key as never] === undefined)).toBe(
        true,
      );
      expect(ended.destroyed).toBe(true);
    }
  });

  it("leaves a finished stream's payload out of the old generation", () => {
    const results = promotedBytes(`
      const http2 = await import("node:http2");
      const { releaseWhenClosed, useLeanAsyncResourceBind } = await import("${moduleUrl("rpc", "http2-retention.ts")}");
      useLeanAsyncResourceBind();
      const server = http2.createServer((req, res) => res.end("ok"));
      server.on("stream", releaseWhenClosed);
      await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
      const session = http2.connect("http://127.0.0.1:" + server.address().port);
      const call = (release) => () => new Promise((resolve) => {
        const stream = session.request({ ":path": "/" });
        stream.payload = new Array(1024).fill(0.5);
        if (release) releaseWhenClosed(stream);
        stream.on("data", () => undefined);
        stream.on("close", resolve);
      });
      report({ kept: await measure(call(false)), released: await measure(call(true)) });
      session.close();
      server.close();
    `);
    // Each payload is 8 KB; what a released call still leaves is the stream's shell.
    expect(results["kept"]).toBeGreaterThan(4_000);
    expect(results["released"]).toBeLessThan(2_000);
  });
});
