import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import type { Logger } from "../runtime/logger.js";
import type { RequestMetrics } from "../runtime/metrics.js";
import { traced } from "../runtime/tracing.js";
import { createAuthenticator, tooManyFailures } from "./auth/credentials.js";
import type { JwtVerifier } from "./auth/jwt.js";
import { isAdmin, type Principal } from "./auth/principal.js";
import type { SignatureVerifier } from "./auth/signing.js";
import { hasBody, parseJson, readBody, requireJson, send } from "./http.js";
import { addressBucket, rateLimitBuckets } from "./limit-buckets.js";
import type { OpenApiDocument, Operation } from "./openapi.js";
import { HttpProblem, problemDocument, toProblem, UpstreamError } from "./problems.js";
import { type LimitCheck, type RateLimiter, rateLimitHeaders } from "./rate-limit.js";
import type { Match, Router } from "./router.js";
import type { AnyRoute, Reply, RouteRequest } from "./routes.js";
import { externalTrace, traceResponse, traceResponseHeader } from "./trace-context.js";
import type { Upstream, Upstreams } from "./upstreams.js";
import type { OperationValidator } from "./validation.js";

/** A built-in endpoint (health, the document): answers without auth, limits or upstreams. */
export type BuiltIn = (request: { readonly params: Readonly<Record<string, string>> }) => Reply;

export interface PipelineParts {
  readonly router: Router;
  readonly routes: Readonly<Record<string, AnyRoute>>;
  readonly operations: ReadonlyMap<string, Operation>;
  readonly validators: ReadonlyMap<string, OperationValidator>;
  readonly builtIns: Readonly<Record<string, BuiltIn>>;
  readonly upstreams: Upstreams;
  readonly jwt: JwtVerifier;
  readonly signatures: SignatureVerifier;
  readonly limiter: RateLimiter;
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
  readonly bodyLimitBytes: number;
  readonly trustedProxyHops: number;
  /** True once shutdown began: responses close their connections. */
  readonly draining: () => boolean;
}

const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;
/** The status logged for a request whose client left before its answer (nginx's 499). */
export const clientClosedRequest = 499;
const noBody = Buffer.alloc(0);

/**
 * The client's address: the socket's, or the entry the outermost trusted proxy appended to
 * X-Forwarded-For (the n-th from the right with n trusted hops). A header with fewer entries
 * than trusted hops did not pass all the proxies (or was cut short), so none of its entries
 * is vouched for: the socket's address is used, never an entry the client may have written.
 */
export function clientIp(req: IncomingMessage, trustedProxyHops: number): string {
  const socket = req.socket.remoteAddress ?? "unknown";
  if (trustedProxyHops === 0) return socket;
  const forwarded = String(req.headers["x-forwarded-for"] ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return forwarded.length >= trustedProxyHops ? forwarded[forwarded.length - trustedProxyHops]! : socket;
}

/**
 * The request path, in order: match (404, 405), media type and size (415, 413), body,
 * credentials (401; 429 from an address over its failure budget), role (403), rate limit
 * (429), JSON and schema (400), the upstream call, each failure a problem document. Every
 * request runs in the server span of a new trace, linked to the client's traceparent (not
 * continuing it) and named to the client in `traceresponse`; the upstream calls continue the
 * gateway's trace. Each request is measured under its OpenAPI path template and logged once.
 */
export function createPipeline(parts: PipelineParts) {
  const { router, routes, operations, validators, builtIns, upstreams, logger, metrics } = parts;

  const authenticate = createAuthenticator(parts);

  function authorize(route: AnyRoute, principal: Principal | undefined): void {
    if (route.auth === "public") return;
    if (!principal)
      throw new HttpProblem(
        "unauthenticated",
        "this operation needs a bearer access token or a signed request",
        {},
        { "WWW-Authenticate": 'Bearer realm="platform"' },
      );
    if (route.auth === "session" && principal.method !== "jwt")
      throw new HttpProblem("forbidden", "API keys cannot manage API keys; use an access token from a login");
    if (route.auth === "admin" && !isAdmin(principal))
      throw new HttpProblem("forbidden", "this operation requires the admin role");
  }

  async function rateLimit(
    route: AnyRoute,
    check: LimitCheck,
    headers: Record<string, string>,
  ): Promise<void> {
    const decision = await parts.limiter.check(check);
    if (!decision) {
      if (parts.limiter.failMode === "closed")
        throw new HttpProblem(
          "service-unavailable",
          "rate limiting is unavailable, so requests are refused; retry shortly",
          {},
          {
            "Retry-After": "1",
          },
        );
      return;
    }
    if (decision.overFailureBudget) throw tooManyFailures(decision.retryAfterMs);
    Object.assign(headers, rateLimitHeaders(route.routeClass, decision));
    if (!decision.allowed)
      throw new HttpProblem(
        "rate-limited",
        `the ${route.routeClass} limit of ${decision.limit.requests} requests per ${decision.limit.windowSeconds} s is used up; retry after ${headers["Retry-After"]} s`,
        {},
        headers,
      );
  }

  async function serveOperation(
    req: IncomingMessage,
    name: string,
    params: Readonly<Record<string, string>>,
    query: string,
    requestId: string,
    signal: AbortSignal,
    headers: Record<string, string>,
  ): Promise<Reply> {
    const route = routes[name]!;
    const operation = operations.get(name)!;
    const validator = validators.get(name)!;
    if (operation.requestBody && hasBody(req)) requireJson(req);
    const body = hasBody(req) ? await readBody(req, parts.bodyLimitBytes) : noBody;

    const address = addressBucket(clientIp(req, parts.trustedProxyHops));
    const principal = await authenticate(req, body, address);
    authorize(route, principal);
    const buckets = rateLimitBuckets(route.routeClass, principal, address, body);
    // Requests with credentials are refused while their address is over its failure budget.
    await rateLimit(
      route,
      { routeClass: route.routeClass, buckets, guard: principal ? address : undefined },
      headers,
    );

    const valid = validator.parameters({ params, query: parseQuery(query), headers: req.headers });
    let json: unknown;
    if (operation.requestBody) {
      json = parseJson(body);
      validator.body(json);
    }
    const request: RouteRequest = {
      path: valid.path,
      query: valid.query,
      header: valid.header,
      body: json,
      principal,
    };
    const upstream = upstreams[route.upstream] as unknown as Upstream<never>;
    const settings = {
      deadlineMs: route.deadlineMs,
      idempotent: route.idempotent,
      metadata: { "x-request-id": requestId },
      signal,
    };
    try {
      return await route.handle(
        ((method: never, message: never) => upstream.call(method, message, settings)) as never,
        request,
      );
    } catch (err) {
      throw toProblem(err, validator.parameterNames);
    }
  }

  async function respond(
    req: IncomingMessage,
    res: ServerResponse,
    span: Span,
    requestId: string,
    match: Match,
  ): Promise<number> {
    const url = req.url ?? "/";
    const at = url.indexOf("?");
    const path = at < 0 ? url : url.slice(0, at);
    const headers: Record<string, string> = {};
    if (parts.draining()) headers["Connection"] = "close";
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    try {
      if (match.kind === "not-found") throw new HttpProblem("not-found", `no route for ${path}`);
      if (match.kind === "method-not-allowed")
        throw new HttpProblem(
          "method-not-allowed",
          `${match.template} allows ${match.allow.join(", ")}`,
          {},
          {
            Allow: match.allow.join(", "),
          },
        );
      const builtIn = builtIns[match.name];
      const reply = builtIn
        ? builtIn({ params: match.params })
        : await serveOperation(
            req,
            match.name,
            match.params,
            at < 0 ? "" : url.slice(at + 1),
            requestId,
            controller.signal,
            headers,
          );
      send(req, res, reply.status, reply.body, { ...headers, ...reply.headers }, contentTypeOf(reply));
      return reply.status;
    } catch (err) {
      // The client hung up and the upstream call was cancelled for it: nobody failed, and
      // nobody is left to answer. Counted as a 5xx it would page, and fail canary analysis.
      if (controller.signal.aborted) return clientClosedRequest;
      const problem = toProblem(err);
      // The gateway's own failure is an error with its stack; an upstream's is already named in the problem.
      if (problem.kind === "internal-error")
        logger.error({ err, requestId }, "unhandled error on the request path");
      else if (problem.status >= 500)
        // The client is told only which upstream failed; the log keeps why, for whoever debugs it.
        logger.warn(
          {
            requestId,
            problem: problem.kind,
            ...(problem.cause instanceof UpstreamError
              ? { grpcStatus: problem.cause.rpc.code, upstreamError: problem.cause.rpc.message }
              : {}),
          },
          problem.detail,
        );
      const traceId = span.spanContext().traceId;
      const document = problemDocument(problem, {
        path,
        requestId,
        traceId: /^0+$/.test(traceId) ? undefined : traceId,
      });
      send(
        req,
        res,
        problem.status,
        document,
        { ...headers, ...problem.headers },
        "application/problem+json",
      );
      return problem.status;
    }
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId =
      typeof req.headers["x-request-id"] === "string" && saneRequestId.test(req.headers["x-request-id"])
        ? req.headers["x-request-id"]
        : randomUUID();
    res.setHeader("X-Request-Id", requestId);
    const path = (req.url ?? "/").split("?", 1)[0]!;
    const match = router.match(req.method ?? "GET", path);
    const template = match.kind === "not-found" ? "unmatched" : match.template;
    const end = metrics.begin(template);
    const started = performance.now();
    await traced(
      `${req.method} ${template}`,
      { "http.request.method": req.method ?? "", "http.route": template, "url.path": path },
      async (span) => {
        const named = traceResponse(span.spanContext());
        if (named) res.setHeader(traceResponseHeader, named);
        const status = await respond(req, res, span, requestId, match);
        span.setAttribute("http.response.status_code", status);
        if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        end(status >= 500 ? "error" : "ok");
        logger.info(
          {
            requestId,
            method: req.method,
            route: template,
            status,
            durationMs: Math.round((performance.now() - started) * 100) / 100,
          },
          "request",
        );
      },
      SpanKind.SERVER,
      externalTrace(req.headers),
    );
  };
}

/** The first value of each query parameter. */
function parseQuery(query: string): Record<string, string> {
  const values: Record<string, string> = Object.create(null);
  if (!query) return values;
  for (const [name, value] of new URLSearchParams(query)) if (!(name in values)) values[name] = value;
  return values;
}

const contentTypeOf = (reply: Reply) => reply.headers?.["Content-Type"] ?? "application/json";

/** The operations of the document by operationId. */
export function operationsOf(document: OpenApiDocument): Map<string, Operation> {
  const operations = new Map<string, Operation>();
  for (const item of Object.values(document.paths))
    for (const operation of Object.values(item)) operations.set(operation.operationId, operation);
  return operations;
}
