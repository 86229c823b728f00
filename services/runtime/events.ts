import { randomUUID } from "node:crypto";
import { context, propagation } from "@opentelemetry/api";

/**
 * A CloudEvents 1.0 event in JSON form, with the platform's extensions: the W3C trace
 * context, the actor, and the entity the event is about (for the audit trail).
 */
export interface CloudEvent<D = unknown> {
  readonly specversion: "1.0";
  readonly id: string;
  /** The producing service, e.g. "/platform/catalog". */
  readonly source: string;
  /** e.g. "platform.catalog.product.updated". */
  readonly type: string;
  /** e.g. "product/0b1e...". */
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: "application/json";
  readonly traceparent?: string;
  readonly actor: string;
  readonly entitytype: string;
  readonly entityid: string;
  readonly data: D;
}

export interface EventInput<D> {
  /** The entity type, e.g. "product": the type becomes platform.<service>.<entity>.<action>. */
  readonly entity: string;
  readonly entityId: string;
  /** Past tense: "created", "updated", "stock-reserved"... */
  readonly action: string;
  /** Who caused it: a user id, "system", or a service. */
  readonly actor: string;
  readonly data: D;
}

/** The current trace context as W3C headers (traceparent, tracestate). */
export function traceHeaders(): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** A new event from `service`, carrying the active trace. */
export function newEvent<D>(service: string, input: EventInput<D>): CloudEvent<D> {
  return {
    specversion: "1.0",
    id: randomUUID(),
    source: `/platform/${service}`,
    type: `platform.${service}.${input.entity}.${input.action}`,
    subject: `${input.entity}/${input.entityId}`,
    time: new Date().toISOString(),
    datacontenttype: "application/json",
    traceparent: traceHeaders()["traceparent"],
    actor: input.actor,
    entitytype: input.entity,
    entityid: input.entityId,
    data: input.data,
  };
}

const required = [
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "entitytype",
  "entityid",
] as const;

/** Parses a message value into a CloudEvent, or says why it is not one. */
export function parseEvent(value: string): CloudEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== "object") throw new Error("not a JSON object");
  const event = parsed as Record<string, unknown>;
  const missing = required.filter((k) => typeof event[k] !== "string" || event[k] === "");
  if (missing.length > 0) throw new Error(`not a CloudEvent: missing ${missing.join(", ")}`);
  if (event["specversion"] !== "1.0")
    throw new Error(`unsupported specversion ${String(event["specversion"])}`);
  return parsed as CloudEvent;
}
