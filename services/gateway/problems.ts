import { type RpcError, Status } from "../runtime/rpc/client.js";

/**
 * Every error the gateway answers with is an RFC 9457 problem document. Each kind has a
 * stable `type` URI (relative to the API, `/problems/<kind>`, which serves its description),
 * a title and a status; `detail` says what happened to this request.
 */
export const problemKinds = {
  "malformed-json": { status: 400, title: "The request body is not valid JSON" },
  "validation-failed": { status: 400, title: "The request does not match the API's schema" },
  "bad-request": { status: 400, title: "The request is malformed" },
  unauthenticated: { status: 401, title: "Authentication is required" },
  "invalid-token": { status: 401, title: "The bearer token is not acceptable" },
  "invalid-signature": { status: 401, title: "The request signature is not acceptable" },
  forbidden: { status: 403, title: "The principal may not do this" },
  "not-found": { status: 404, title: "No such resource" },
  "method-not-allowed": { status: 405, title: "The resource does not support this method" },
  "already-exists": { status: 409, title: "The resource already exists" },
  conflict: { status: 409, title: "The request conflicts with the resource's current state" },
  "request-timeout": { status: 408, title: "The request was not received in time" },
  "payload-too-large": { status: 413, title: "The request body is too large" },
  "unsupported-media-type": { status: 415, title: "The request body's media type is not supported" },
  "failed-precondition": { status: 422, title: "The resource is not in a state that allows this" },
  "rate-limited": { status: 429, title: "Too many requests" },
  "headers-too-large": { status: 431, title: "The request line and headers are too large" },
  "internal-error": { status: 500, title: "The gateway failed to handle the request" },
  "not-implemented": { status: 501, title: "The upstream service does not implement this yet" },
  "bad-gateway": { status: 502, title: "An upstream service failed" },
  "upstream-unavailable": { status: 503, title: "An upstream service is unavailable" },
  "service-unavailable": { status: 503, title: "The gateway cannot serve requests right now" },
  "upstream-timeout": { status: 504, title: "An upstream service did not answer in time" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof problemKinds;

export const problemType = (kind: ProblemKind) => `/problems/${kind}`;

/** One field or parameter that failed validation. */
export interface FieldError {
  /** JSON Pointer into the request body (RFC 6901), e.g. "/lines/0/quantity". */
  readonly pointer?: string;
  /** Or the query, path or header parameter's name. */
  readonly parameter?: string;
  readonly detail: string;
}

/** A call to an upstream service that ended with a non-OK gRPC status. */
export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  constructor(
    readonly upstream: string,
    readonly rpc: RpcError,
  ) {
    super(`${upstream}: ${rpc.message}`);
  }
}

/** An error the gateway turns into a problem response; thrown anywhere on the request path. */
export class HttpProblem extends Error {
  override readonly name = "HttpProblem";
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    /** Extension members (RFC 9457 section 3.2), e.g. `reason`, `errors`, `upstream`. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
    /** Response headers that belong to this problem (Allow, Retry-After, WWW-Authenticate). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }

  get status(): number {
    return problemKinds[this.kind].status;
  }
}

export interface ProblemDocument {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance: string;
  readonly [extension: string]: unknown;
}

export function problemDocument(
  problem: HttpProblem,
  request: { readonly path: string; readonly requestId: string; readonly traceId?: string | undefined },
): ProblemDocument {
  const { status, title } = problemKinds[problem.kind];
  return {
    type: problemType(problem.kind),
    title,
    status,
    detail: problem.detail,
    instance: request.path,
    ...problem.extensions,
    requestId: request.requestId,
    ...(request.traceId ? { traceId: request.traceId } : {}),
  };
}

const grpcToKind: Record<number, ProblemKind> = {
  [Status.INVALID_ARGUMENT]: "validation-failed",
  [Status.UNAUTHENTICATED]: "unauthenticated",
  [Status.PERMISSION_DENIED]: "forbidden",
  [Status.NOT_FOUND]: "not-found",
  [Status.ALREADY_EXISTS]: "already-exists",
  [Status.ABORTED]: "conflict",
  [Status.FAILED_PRECONDITION]: "failed-precondition",
  [Status.RESOURCE_EXHAUSTED]: "rate-limited",
  [Status.UNAVAILABLE]: "upstream-unavailable",
  [Status.DEADLINE_EXCEEDED]: "upstream-timeout",
  12: "not-implemented", // UNIMPLEMENTED: an upstream older than the API document
};

/**
 * Maps an upstream's gRPC status to a problem. Client-side statuses keep the service's
 * message (services write them for callers) and field details; server-side ones (INTERNAL,
 * UNKNOWN, DATA_LOSS, a malformed response) say only which upstream failed, never why.
 */
export function fromRpcError(
  err: RpcError,
  upstream: string,
  parameters: ReadonlySet<string> = new Set(),
): HttpProblem {
  const kind = grpcToKind[err.code] ?? "bad-gateway";
  switch (kind) {
    case "upstream-unavailable":
      return new HttpProblem(
        kind,
        `upstream ${upstream} unavailable; retry later`,
        { upstream },
        {
          "Retry-After": "1",
        },
      );
    case "upstream-timeout":
      return new HttpProblem(kind, `upstream ${upstream} did not answer before the deadline`, { upstream });
    case "bad-gateway":
      return new HttpProblem(kind, `upstream ${upstream} failed to handle the request`, { upstream });
    case "not-implemented":
      return new HttpProblem(kind, `upstream ${upstream} does not implement this operation`, { upstream });
    case "validation-failed": {
      const errors: FieldError[] = Object.entries(err.details).map(([field, detail]) =>
        parameters.has(field) ? { parameter: field, detail } : { pointer: `/${field}`, detail },
      );
      return new HttpProblem(kind, err.message, errors.length > 0 ? { errors } : {});
    }
    default:
      return new HttpProblem(kind, err.message);
  }
}

/**
 * Any thrown value as a problem; `parameters` names the operation's parameters, so an
 * upstream's field detail points at the right place. An unknown error is the gateway's own
 * fault, reported without details.
 */
export function toProblem(err: unknown, parameters?: ReadonlySet<string>): HttpProblem {
  if (err instanceof HttpProblem) return err;
  // The cause stays on the problem for the log; the response never shows it.
  if (err instanceof UpstreamError)
    return Object.assign(fromRpcError(err.rpc, err.upstream, parameters), { cause: err });
  return new HttpProblem("internal-error", "the gateway failed to handle the request; it has been logged");
}
