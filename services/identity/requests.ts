import type { Principal as PrincipalMessage } from "../gen/platform/common/v1/common_pb.js";
import type {
  CreateApiKeyRequest,
  DeleteApiKeyRequest,
  GetSigningKeyRequest,
  LoginRequest,
  LogoutRequest,
  RefreshRequest,
  SignUpRequest,
} from "../gen/platform/identity/v1/identity_pb.js";
import { invalidArgument, unauthenticated } from "../runtime/errors.js";
import { apiKeyIdPattern } from "./api-keys.js";
import { emailProblem, normaliseEmail } from "./email.js";
import { maxPasswordLength, passwordProblem } from "./passwords.js";
import { refreshTokenPattern } from "./refresh-tokens.js";

/**
 * Reading requests: each function checks every field, throws one INVALID_ARGUMENT naming
 * each bad field (`details`, keyed by the public API's field names), and returns the
 * values the domain functions take.
 */
function check(what: string, problems: Record<string, string | undefined>): void {
  const details = Object.fromEntries(Object.entries(problems).filter(([, reason]) => reason !== undefined));
  if (Object.keys(details).length > 0)
    throw invalidArgument(
      `invalid ${what}: ${Object.keys(details).join(", ")}`,
      details as Record<string, string>,
    );
}

const matches = (pattern: RegExp, value: string, example: string) =>
  value === "" ? "required" : pattern.test(value) ? undefined : `not ${example}`;

/** A display text: trimmed, within bounds, no control characters (PostgreSQL refuses NUL). */
function textProblem(value: string, min: number, max: number): string | undefined {
  const length = [...value].length;
  if (length < min || length > max)
    return min > 0 ? `${min} to ${max} characters` : `at most ${max} characters`;
  if (/\p{Cc}/u.test(value)) return "must not contain control characters";
  return undefined;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function signUpInput(request: SignUpRequest) {
  const email = normaliseEmail(request.email);
  const name = request.name.trim();
  check("sign-up", {
    email: emailProblem(email),
    password: passwordProblem(request.password, email),
    name: textProblem(name, 1, 200),
  });
  return { email, name, password: request.password };
}

/** Login checks shape only: the password policy is for new passwords, not for telling old ones apart. */
export function loginInput(request: LoginRequest) {
  const email = normaliseEmail(request.email);
  check("login", {
    email: emailProblem(email),
    password:
      request.password === ""
        ? "required"
        : request.password.length > maxPasswordLength * 4
          ? "too long"
          : undefined,
  });
  return { email, password: request.password };
}

export function refreshTokenInput(request: RefreshRequest | LogoutRequest): string {
  check("refresh token", {
    refreshToken: matches(refreshTokenPattern, request.refreshToken, "a refresh token this service issued"),
  });
  return request.refreshToken;
}

/** Who calls, as the gateway verified it. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly method: string;
}

/** The principal a call needs: UNAUTHENTICATED without one. */
export function principalInput(principal: PrincipalMessage | undefined): Principal {
  if (!principal?.userId)
    throw unauthenticated("this call needs a principal; the gateway sets it from a verified token");
  check("principal", { "principal.userId": uuidPattern.test(principal.userId) ? undefined : "not a UUID" });
  return { userId: principal.userId, roles: principal.roles, method: principal.method };
}

export function createApiKeyInput(request: CreateApiKeyRequest) {
  const principal = principalInput(request.principal);
  const name = request.name.trim();
  check("API key", { name: textProblem(name, 0, 100) });
  return { principal, name };
}

export function deleteApiKeyInput(request: DeleteApiKeyRequest) {
  const principal = principalInput(request.principal);
  check("API key", { keyId: matches(apiKeyIdPattern, request.keyId, 'an API key id such as "ak_…"') });
  return { principal, keyId: request.keyId };
}

export function keyIdInput(request: GetSigningKeyRequest): string {
  check("API key", { keyId: matches(apiKeyIdPattern, request.keyId, 'an API key id such as "ak_…"') });
  return request.keyId;
}
