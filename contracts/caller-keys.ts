/**
 * Who may call a service, as the variables its process reads (services/runtime/rpc/
 * caller-config.ts): the one derivation from the registry that the plan
 * (components/microservice/service-identities.ts), local mode and tests share.
 *
 *   CALLER_KEYS        a callee's callers and their public keys, `gateway:<x>,orders:<x>`
 *   PRINCIPAL_CALLERS  the callers that may name an end user (`authenticatesUsers`), `gateway`
 */

/**
 * `CALLER_KEYS` and `PRINCIPAL_CALLERS` of `service`, from the registry: its callers (the
 * services whose `calls` name it) with their public keys, and those of them that
 * authenticate end users.
 */
export function callerVariables(
  service: { readonly callers: readonly string[] },
  services: readonly { readonly name: string; readonly authenticatesUsers: boolean }[],
  publicKeyOf: (caller: string) => string,
): { CALLER_KEYS: string; PRINCIPAL_CALLERS: string } {
  const callers = service.callers.map((name) => {
    const caller = services.find((s) => s.name === name);
    if (!caller) throw new Error(`caller ${name} is not in the registry`);
    return caller;
  });
  return {
    CALLER_KEYS: callers.map((c) => `${c.name}:${publicKeyOf(c.name)}`).join(","),
    PRINCIPAL_CALLERS: callers
      .filter((c) => c.authenticatesUsers)
      .map((c) => c.name)
      .join(","),
  };
}
