/** Who makes a request, as verified by the gateway; passed to services in request messages. */
export interface Principal {
  readonly userId: string;
  readonly roles: readonly string[];
  /** How it was verified: a bearer JWT or a signed request with an API key. */
  readonly method: "jwt" | "api_key";
}

export const isAdmin = (principal: Principal | undefined) => principal?.roles.includes("admin") ?? false;

/** The principal as a protobuf `platform.common.v1.Principal` initialiser. */
export const principalMessage = (principal: Principal) => ({
  userId: principal.userId,
  roles: [...principal.roles],
  method: principal.method,
});
