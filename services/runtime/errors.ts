/**
 * Domain errors a handler throws; the transports map them to gRPC status codes and the
 * gateway maps those to HTTP. Anything else is an internal error: logged with its stack,
 * reported without details.
 */
export const statusCodes = {
  invalidArgument: 3,
  deadlineExceeded: 4,
  notFound: 5,
  alreadyExists: 6,
  permissionDenied: 7,
  resourceExhausted: 8,
  failedPrecondition: 9,
  aborted: 10,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;

export type ErrorKind = keyof typeof statusCodes;

export class ServiceError extends Error {
  override readonly name = "ServiceError";
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** Field-level problems for invalid arguments, e.g. { email: "not an email address" }. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get code(): number {
    return statusCodes[this.kind];
  }
}

export const invalidArgument = (message: string, details?: Record<string, string>) =>
  new ServiceError("invalidArgument", message, details);
export const notFound = (what: string) => new ServiceError("notFound", `${what} not found`);
export const alreadyExists = (message: string) => new ServiceError("alreadyExists", message);
export const permissionDenied = (message = "not allowed") => new ServiceError("permissionDenied", message);
export const unauthenticated = (message: string) => new ServiceError("unauthenticated", message);
export const failedPrecondition = (message: string) => new ServiceError("failedPrecondition", message);
