/**
 * The journey a new user takes, through the public gateway only, against the whole
 * platform as `npm start` runs it: seven services from their bundles, on real PostgreSQL,
 * Redis, Kafka, OpenSearch and the OpenTelemetry Collector. The trace of the order is read
 * back from the collector's output, not from the services.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type RunningPlatform, startPlatform } from "../local/platform.js";
import { verifyWebhookSignature } from "../services/notifications/signature.js";
import { waitFor } from "./telemetry.js";

const gatewayPort = 18480;
const base = `http://127.0.0.1:${gatewayPort}`;
// The client's own trace: the gateway links its new trace to it, and names that in `traceresponse`.
const clientTraceId = randomBytes(16).toString("hex");
const clientSpanId = randomBytes(8).toString("hex");
const traceparent = `00-${clientTraceId}-${clientSpanId}-01`;

interface Received {
  readonly body: string;
  readonly signature: string | undefined;
}

let platform: RunningPlatform;
let receiver: Server;
const received: Received[] = [];

async function api(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    // biome-ignore lint/suspicious/noExplicitAny: the journey reads each body's fields by name in its assertions
    body: (text ? JSON.parse(text) : undefined) as Record<string, any>,
  };
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (c: Buffer) => chunks.push(c));
    request.on("end", () => resolve(Buffer.concat(chunks).toString()));
    request.on("error", reject);
  });
}

beforeAll(async () => {
  receiver = createServer(async (request, response) => {
    received.push({
      body: await readBody(request),
      signature: request.headers["platform-signature"] as string,
    });
    response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  platform = await startPlatform({ gatewayPort, wipe: false, keepServers: true });
}, 240_000);

afterAll(async () => {
  await platform?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe("a shopper's journey through the gateway", () => {
  const email = `shopper-${randomUUID()}@journey.test`;
  const password = "a journey of a thousand orders";
  let token: string;
  let productId: string;
  let orderId: string;
  let webhookSecret: string;
  let adminToken: string;
  /** The trace the gateway started for the order, from its `traceresponse`. */
  let traceId: string;
  // A word no other product has, so the search can only find this journey's product.
  const word = `j${randomBytes(4).toString("hex")}`;

  it("signs up and logs in", async () => {
    expect(
      (await api("POST", "/v1/auth/signup", { body: { email, password, name: "Journey" } })).status,
    ).toBe(202);
    const login = await api("POST", "/v1/auth/login", { body: { email, password } });
    expect(login.status).toBe(200);
    token = login.body["accessToken"];
    expect(token).toMatch(/^ey/);
  });

  it("browses the catalog, and finds a product the admin just added by searching for it", async () => {
    const listing = await api("GET", "/v1/products?limit=5");
    expect(listing.status).toBe(200);
    expect((listing.body["items"] as unknown[]).length).toBeGreaterThan(0);

    adminToken = (
      await api("POST", "/v1/auth/login", {
        body: { email: platform.adminEmail, password: platform.adminPassword },
      })
    ).body["accessToken"];
    const created = await api("POST", "/v1/products", {
      token: adminToken,
      body: {
        sku: `LANTERN-${word.toUpperCase()}`,
        name: `Journey lantern ${word}`,
        description: "A lantern for long walks.",
        category: "gear",
        price: { amountMinor: 1999, currency: "EUR" },
        stock: 10,
      },
    });
    expect(created.status).toBe(201);
    productId = created.body["id"];
    const hit = await waitFor(
      "search to index the new product",
      async () => {
        const found = await api("GET", `/v1/search?q=${word}`);
        return (found.body["items"] as { productId: string }[] | undefined)?.find(
          (h) => h.productId === productId,
        );
      },
      30_000,
    );
    expect(hit).toMatchObject({
      productId,
      highlights: { name: [expect.stringContaining(`<em>${word}</em>`)] },
    });
  });

  it("subscribes a webhook to its confirmed orders", async () => {
    const { port } = receiver.address() as AddressInfo;
    const created = await api("POST", "/v1/webhooks", {
      token,
      body: { url: `http://127.0.0.1:${port}/hooks`, eventTypes: ["platform.orders.order.confirmed"] },
    });
    expect(created.status).toBe(201);
    webhookSecret = created.body["secret"];
  });

  it("places an order that catalog reserves stock for, in one trace the gateway started", async () => {
    const placed = await api("POST", "/v1/orders", {
      token,
      headers: { "idempotency-key": randomUUID(), traceparent },
      body: { lines: [{ productId, quantity: 2 }] },
    });
    expect(placed.status).toBe(201);
    const traceresponse = placed.headers.get("traceresponse") ?? "";
    expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    traceId = traceresponse.split("-")[1]!;
    expect(traceId).not.toBe(clientTraceId);
    expect(placed.body).toMatchObject({ state: "confirmed", total: { amountMinor: 3998, currency: "EUR" } });
    orderId = placed.body["id"];
  });

  it("gets a webhook delivery for the order, correctly signed", async () => {
    const delivery = await waitFor(
      "the webhook delivery",
      () => received.find((r) => r.body.includes(orderId)),
      30_000,
    );
    expect(JSON.parse(delivery.body)).toMatchObject({
      type: "platform.orders.order.confirmed",
      entityid: orderId,
    });
    expect(
      verifyWebhookSignature({ secret: webhookSecret, header: delivery.signature, body: delivery.body }),
    ).toBe(true);
  });

  it("finds the whole transaction in the audit trail by its trace id", async () => {
    const events = await waitFor(
      "the audit trail to hold the order's transaction",
      async () => {
        const trail = await api("GET", `/v1/audit/traces/${traceId}`, { token: adminToken });
        const items = (trail.body["items"] ?? []) as { type: string; entityId: string }[];
        const types = items.map((e) => e.type);
        return types.includes("platform.orders.order.confirmed") &&
          types.includes("platform.catalog.product.stock-reserved")
          ? items
          : undefined;
      },
      30_000,
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        "platform.orders.order.placed",
        "platform.catalog.product.stock-reserved",
        "platform.orders.order.confirmed",
      ]),
    );
    expect(events.filter((e) => e.entityId === orderId).length).toBeGreaterThanOrEqual(2);
    // The client chose its traceparent; nothing is filed under it.
    const underClientTrace = await api("GET", `/v1/audit/traces/${clientTraceId}`, { token: adminToken });
    expect(underClientTrace.body).toEqual({ items: [], nextCursor: null });
  });

  it("reached the collector as one trace: gateway, services, PostgreSQL, Redis and Kafka", async () => {
    const tracesFile = inject("servers")["PLATFORM_COLLECTOR_TRACES"]!;
    const spans = await waitFor(
      "the order's trace in the collector's output",
      () => {
        const found = spansOfTrace(tracesFile, traceId);
        const services = new Set(found.map((s) => s.service));
        const complete =
          ["gateway", "orders", "catalog", "audit"].every((name) => services.has(name)) &&
          found.some((s) => s.attributes["messaging.system"] === "kafka");
        return complete ? found : undefined;
      },
      45_000,
    );
    const systems = new Set(
      spans.map((s) => s.attributes["db.system.name"] ?? s.attributes["messaging.system"]),
    );
    expect([...systems]).toEqual(expect.arrayContaining(["postgresql", "redis", "kafka"]));
    // The gateway's server span starts the trace and links to the client's span.
    const server = spans.find((s) => s.service === "gateway" && s.name === "POST /v1/orders");
    expect(server?.parentSpanId).toBe("");
    expect(server?.links).toEqual([{ traceId: clientTraceId, spanId: clientSpanId }]);
  });
});

interface FlatSpan {
  readonly service: string;
  readonly name: string;
  readonly parentSpanId: string;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  readonly attributes: Record<string, unknown>;
}

type OtlpValue = { stringValue?: string; intValue?: string; boolValue?: boolean };
type OtlpAttribute = { key: string; value: OtlpValue };

/** The spans of one trace in the collector's file exporter output (OTLP JSON, one batch per line). */
function spansOfTrace(file: string, wanted: string): FlatSpan[] {
  if (!existsSync(file)) return [];
  const spans: FlatSpan[] = [];
  const value = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.includes(wanted)) continue;
    const batch = JSON.parse(line) as {
      resourceSpans: {
        resource: { attributes: OtlpAttribute[] };
        scopeSpans: {
          spans: {
            traceId: string;
            name: string;
            parentSpanId?: string;
            links?: { traceId: string; spanId: string }[];
            attributes?: OtlpAttribute[];
          }[];
        }[];
      }[];
    };
    for (const rs of batch.resourceSpans) {
      const service = String(
        value(rs.resource.attributes.find((a) => a.key === "service.name")?.value ?? {}),
      );
      for (const span of rs.scopeSpans.flatMap((s) => s.spans)) {
        if (span.traceId !== wanted) continue;
        const attributes = Object.fromEntries((span.attributes ?? []).map((a) => [a.key, value(a.value)]));
        spans.push({
          service,
          name: span.name,
          parentSpanId: span.parentSpanId ?? "",
          links: (span.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          attributes,
        });
      }
    }
  }
  return spans;
}
