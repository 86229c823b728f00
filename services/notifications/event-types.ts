/**
 * What a webhook subscribes to: CloudEvent types `platform.<service>.<entity>.<action>`,
 * exactly, or with a trailing wildcard segment: `platform.orders.order.*`,
 * `platform.orders.*`, `platform.*` (everything this service relays).
 */

const segment = "[a-z0-9]+(?:-[a-z0-9]+)*";
const exactType = new RegExp(`^platform\\.${segment}\\.${segment}\\.${segment}$`);
const wildcardType = new RegExp(`^platform(?:\\.${segment}){0,2}\\.\\*$`);

/** Either form, as the public API's schema states it (NewWebhook in the gateway's openapi.ts). */
export const eventTypePattern = `^platform(?:\\.${segment}\\.${segment}\\.${segment}|(?:\\.${segment}){0,2}\\.\\*)$`;

/** Bounds shared with the public API's schema (NewWebhook in the gateway's openapi.ts). */
export const eventTypeLimits = { maxTypes: 50, maxLength: 100 } as const;

/** Why `pattern` is not a subscription this service can honour, or undefined. */
export function eventTypeProblem(pattern: string, relayed: readonly string[]): string | undefined {
  if (pattern.length > eventTypeLimits.maxLength) return `at most ${eventTypeLimits.maxLength} characters`;
  if (!exactType.test(pattern) && !wildcardType.test(pattern))
    return 'a CloudEvent type such as "platform.orders.order.confirmed", optionally ending in ".*"';
  const service = pattern.split(".")[1];
  if (service !== "*" && !relayed.includes(service!))
    return `this service relays events of ${relayed.join(", ")} only`;
  return undefined;
}

/**
 * Every subscription pattern that matches `type`: the type itself and each wildcard above
 * it. A webhook matches when its patterns and these intersect (an indexed `&&` in SQL).
 */
export function patternsMatching(type: string): string[] {
  const segments = type.split(".");
  const wildcards = segments.slice(1).map((_, i) => [...segments.slice(0, i + 1), "*"].join("."));
  return [type, ...wildcards];
}

/** Whether one subscription pattern matches one event type. */
export const matchesEventType = (pattern: string, type: string) => patternsMatching(type).includes(pattern);
