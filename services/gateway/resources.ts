import type { AuditEvent } from "../gen/platform/audit/v1/audit_pb.js";
import type { Product } from "../gen/platform/catalog/v1/catalog_pb.js";
import type { Money } from "../gen/platform/common/v1/common_pb.js";
import type { TokenPair, User } from "../gen/platform/identity/v1/identity_pb.js";
import type { Delivery, Webhook } from "../gen/platform/notifications/v1/notifications_pb.js";
import { type Order, OrderState } from "../gen/platform/orders/v1/orders_pb.js";
import type { SearchHit } from "../gen/platform/search/v1/search_pb.js";

/**
 * Protobuf messages as the API's JSON resources (the shapes in openapi.ts): camelCase,
 * money as integer minor units, enums as lower-case words, "" cursors as null.
 */

export const money = (m: Money | undefined) =>
  m ? { amountMinor: Number(m.amountMinor), currency: m.currency } : undefined;

/** JSON money in, protobuf money out: minor units become int64. */
export const moneyMessage = (m: { amountMinor: number; currency: string } | undefined) =>
  m ? { amountMinor: BigInt(m.amountMinor), currency: m.currency } : undefined;

export const cursor = (next: string) => next || null;

export const user = (u: User | undefined) =>
  u && { id: u.id, email: u.email, name: u.name, roles: u.roles, createdAt: u.createdAt };

export const tokens = (t: TokenPair | undefined) => ({
  accessToken: t?.accessToken ?? "",
  refreshToken: t?.refreshToken ?? "",
  expiresIn: t?.expiresIn ?? 0,
  tokenType: t?.tokenType || "Bearer",
});

export const product = (p: Product | undefined) =>
  p && {
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    category: p.category,
    price: money(p.price),
    stock: p.stock,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    version: p.version,
  };

export const searchHit = (h: SearchHit) => ({
  productId: h.productId,
  name: h.name,
  category: h.category,
  price: money(h.price),
  score: h.score,
  highlights: Object.fromEntries(Object.entries(h.highlights).map(([field, f]) => [field, f.fragments])),
});

export const order = (o: Order | undefined) =>
  o && {
    id: o.id,
    userId: o.userId,
    state: (OrderState[o.state] ?? "UNSPECIFIED").toLowerCase(),
    lines: o.lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: money(l.unitPrice),
    })),
    total: money(o.total),
    reason: o.reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };

export const webhook = (w: Webhook | undefined) =>
  w && { id: w.id, url: w.url, eventTypes: w.eventTypes, createdAt: w.createdAt };

export const delivery = (d: Delivery) => ({
  id: d.id,
  webhookId: d.webhookId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  updatedAt: d.updatedAt,
});

/** Parses JSON a service sent as a string; a value that is not JSON is passed on as the string. */
const embedded = (text: string) => {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

export const auditEvent = (e: AuditEvent) => ({
  sequence: Number(e.sequence),
  eventId: e.eventId,
  type: e.type,
  source: e.source,
  subject: e.subject,
  entityType: e.entityType,
  entityId: e.entityId,
  actor: e.actor,
  traceId: e.traceId,
  time: e.time,
  data: embedded(e.dataJson),
  hash: e.hash,
  previousHash: e.previousHash,
});

export const entityState = (json: string) => embedded(json);
