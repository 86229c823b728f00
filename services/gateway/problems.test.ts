import { describe, expect, it } from "vitest";
import { RpcError, Status } from "../runtime/rpc/client.js";
import {
  fromRpcError,
  HttpProblem,
  problemDocument,
  problemKinds,
  toProblem,
  UpstreamError,
} from "./problems.js";

const upstream = (code: number, message = "upstream says", details: Record<string, string> = {}) =>
  new UpstreamError("catalog", new RpcError(code, message, details));

describe("gRPC status to HTTP problem", () => {
  it.each([
    [Status.INVALID_ARGUMENT, 400, "validation-failed"],
    [Status.UNAUTHENTICATED, 401, "unauthenticated"],
    [Status.PERMISSION_DENIED, 403, "forbidden"],
    [Status.NOT_FOUND, 404, "not-found"],
    [Status.ALREADY_EXISTS, 409, "already-exists"],
    [Status.ABORTED, 409, "conflict"],
    [Status.FAILED_PRECONDITION, 422, "failed-precondition"],
    [Status.RESOURCE_EXHAUSTED, 429, "rate-limited"],
    [Status.UNAVAILABLE, 503, "upstream-unavailable"],
    [Status.DEADLINE_EXCEEDED, 504, "upstream-timeout"],
    [12, 501, "not-implemented"],
    [Status.INTERNAL, 502, "bad-gateway"],
    [Status.UNKNOWN, 502, "bad-gateway"],
    [15, 502, "bad-gateway"], // DATA_LOSS
  ])("maps status %i to %i %s", (code, status, kind) => {
    const problem = toProblem(upstream(code));
    expect([problem.status, problem.kind]).toEqual([status, kind]);
  });

  it("never passes on an upstream's internal message", () => {
    const problem = fromRpcError(
      new RpcError(Status.INTERNAL, "pg: password authentication failed"),
      "catalog",
    );
    expect(problem.detail).toBe("upstream catalog failed to handle the request");
    expect(JSON.stringify(problem.extensions)).not.toContain("password");
  });

  it("keeps the upstream's error as the cause, for the log only", () => {
    const err = upstream(Status.INTERNAL);
    const problem = toProblem(err);
    expect(problem.cause).toBe(err);
    expect(JSON.stringify(problemDocument(problem, { path: "/x", requestId: "r" }))).not.toContain(
      err.rpc.message,
    );
  });

  it("names the unavailable upstream and asks for a retry", () => {
    const problem = fromRpcError(new RpcError(Status.UNAVAILABLE, "ECONNREFUSED"), "search");
    expect(problem.detail).toBe("upstream search unavailable; retry later");
    expect(problem.extensions).toEqual({ upstream: "search" });
    expect(problem.headers["Retry-After"]).toBe("1");
  });

  it("keeps a service's field details, as parameters or body pointers", () => {
    const problem = fromRpcError(
      new RpcError(Status.INVALID_ARGUMENT, "invalid product", { sku: "must be unique", limit: "1 to 100" }),
      "catalog",
      new Set(["limit"]),
    );
    expect(problem.extensions["errors"]).toEqual([
      { pointer: "/sku", detail: "must be unique" },
      { parameter: "limit", detail: "1 to 100" },
    ]);
  });

  it("reports an unknown error as the gateway's own 500 without its message", () => {
    const problem = toProblem(new TypeError("cannot read properties of undefined (reading 'secret')"));
    expect([problem.status, problem.detail]).toEqual([
      500,
      "the gateway failed to handle the request; it has been logged",
    ]);
  });
});

describe("problem documents", () => {
  it("carry RFC 9457 members, a stable type per kind, and the request's ids", () => {
    const document = problemDocument(new HttpProblem("rate-limited", "slow down", { limit: 5 }), {
      path: "/v1/products",
      requestId: "r-1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
    expect(document).toEqual({
      type: "/problems/rate-limited",
      title: "Too many requests",
      status: 429,
      detail: "slow down",
      instance: "/v1/products",
      limit: 5,
      requestId: "r-1",
      traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
    });
  });

  it("use a distinct type URI for every kind", () => {
    const types = Object.keys(problemKinds).map((k) => `/problems/${k}`);
    expect(new Set(types).size).toBe(types.length);
  });
});
