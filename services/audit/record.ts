import { UnprocessableEventError } from "../runtime/consumer.js";
import type { CloudEvent } from "../runtime/events.js";
import type { ChainedFields } from "./chain.js";
import { isRfc3339 } from "./time.js";

const hex = (length: number) => new RegExp(`^[0-9a-f]{${length}}$`);
const [version, traceId, parentId, flags] = [hex(2), hex(32), hex(16), hex(2)];

/**
 * The trace id of a W3C `traceparent` (version-traceid-parentid-flags), or null when it is
 * absent or not valid: version ff and all-zero ids are invalid, version 00 has exactly four
 * fields, and a later version may append fields (https://www.w3.org/TR/trace-context/).
 */
export function parseTraceId(traceparent: string | undefined): string | null {
  if (!traceparent) return null;
  const fields = traceparent.split("-");
  const [v = "", trace = "", parent = "", f = ""] = fields;
  const valid =
    version.test(v) &&
    v !== "ff" &&
    (v === "00" ? fields.length === 4 : fields.length >= 4) &&
    traceId.test(trace) &&
    !/^0+$/.test(trace) &&
    parentId.test(parent) &&
    !/^0+$/.test(parent) &&
    flags.test(f);
  return valid ? trace : null;
}

/** What the store keeps of an event before the chain gives it a place and a time of recording. */
export type EventRecord = Omit<ChainedFields, "sequence" | "recordedAt">;

/**
 * The stored fields of a CloudEvent; `time` is still as the producer wrote it (the store
 * normalises it). An event that cannot be stored faithfully goes to the dead-letter topic
 * rather than into the trail wrongly.
 */
export function eventRecord(event: CloudEvent): EventRecord {
  if (!isRfc3339(event.time))
    throw new UnprocessableEventError(
      `event ${event.id}: time ${JSON.stringify(event.time)} is not RFC 3339`,
      event.id,
    );
  return {
    eventId: event.id,
    type: event.type,
    source: event.source,
    subject: event.subject,
    entityType: event.entitytype,
    entityId: event.entityid,
    actor: typeof event.actor === "string" && event.actor !== "" ? event.actor : null,
    traceId: parseTraceId(event.traceparent),
    time: event.time,
    // Through JSON and back: what PostgreSQL's jsonb gives back is what gets hashed.
    data: JSON.parse(JSON.stringify(event.data ?? null)),
  };
}
