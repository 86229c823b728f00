import type { DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { type Principal, principalMessage } from "./auth/principal.js";
import type { AuthRequirement } from "./openapi.js";
import { HttpProblem } from "./problems.js";
import type { RouteClass } from "./rate-limit.js";
import * as resource from "./resources.js";
import type { UpstreamName, UpstreamService } from "./upstreams.js";

/** What a handler gets: validated parameters and body, and the verified principal. */
export interface RouteRequest {
  readonly path: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly header: Readonly<Record<string, unknown>>;
  /** The JSON body, valid against the operation's schema (so the casts below are safe). */
  readonly body: unknown;
  readonly principal: Principal | undefined;
}

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

type Method<S extends DescService> = keyof S["method"] & string;
/** Calls the route's upstream with the route's deadline, retries and breaker. */
export type UpstreamCall<S extends DescService> = <K extends Method<S>>(
  method: K,
  request: MessageInitShape<S["method"][K]["input"]>,
) => Promise<MessageShape<S["method"][K]["output"]>>;

export interface Route<U extends UpstreamName = UpstreamName> {
  readonly upstream: U;
  /** public: anyone (credentials sent are still checked); user: JWT or signed; session: JWT only; admin. */
  readonly auth: AuthRequirement;
  readonly routeClass: RouteClass;
  /** The whole upstream budget, retries included. */
  readonly deadlineMs: number;
  /** A read, safe to retry when the upstream is UNAVAILABLE. */
  readonly idempotent: boolean;
  handle(call: UpstreamCall<UpstreamService<U>>, request: RouteRequest): Promise<Reply>;
}

/** A route of any upstream. */
export type AnyRoute = { [U in UpstreamName]: Route<U> }[UpstreamName];

const route = <U extends UpstreamName>(r: Route<U>): Route<U> => r;

/** The principal of a route that requires one (the pipeline has already refused anonymous calls). */
function principal(request: RouteRequest) {
  if (!request.principal) throw new HttpProblem("unauthenticated", "this operation needs credentials");
  return principalMessage(request.principal);
}

const page = (query: RouteRequest["query"]) => ({
  cursor: (query["cursor"] as string | undefined) ?? "",
  limit: (query["limit"] as number | undefined) ?? 0,
});
const str = (values: RouteRequest["path"], name: string) => String(values[name] ?? "");
const json = (status: number, body: unknown, headers?: Record<string, string>): Reply =>
  headers ? { status, body, headers } : { status, body };
const done: Reply = { status: 204 };
/**
 * Sign-up's one answer, whether the account was created or the email already had one
 * (left unchanged): neither the status, nor the body, nor a header tells them apart.
 */
export const signUpAccepted = {
  status: "accepted",
  detail: "log in with this email and password; an account that already existed keeps its password",
} as const;

interface MoneyBody {
  amountMinor: number;
  currency: string;
}
type ProductBody = Partial<{
  sku: string;
  name: string;
  description: string;
  category: string;
  price: MoneyBody;
  stock: number;
}>;

// Deadlines: reads are a cache or an index lookup; auth hashes passwords (argon2); placing
// an order is a saga across orders and catalog; verifying the audit chain reads all of it.
const read = { routeClass: "read", deadlineMs: 1_000, idempotent: true } as const;
const write = { routeClass: "write", deadlineMs: 3_000, idempotent: false } as const;
const credentials = { auth: "public", routeClass: "auth", deadlineMs: 3_000, idempotent: false } as const;

/** operationId (openapi.ts) -> how the gateway serves it. */
export const routes = {
  signUp: route({
    upstream: "identity",
    ...credentials,
    async handle(call, { body }) {
      const b = body as { email: string; password: string; name: string };
      await call("signUp", { email: b.email, password: b.password, name: b.name });
      return json(202, signUpAccepted);
    },
  }),
  login: route({
    upstream: "identity",
    ...credentials,
    async handle(call, { body }) {
      const b = body as { email: string; password: string };
      const reply = await call("login", { email: b.email, password: b.password });
      return json(200, { ...resource.tokens(reply.tokens), user: resource.user(reply.user) });
    },
  }),
  refresh: route({
    upstream: "identity",
    ...credentials,
    async handle(call, { body }) {
      const reply = await call("refresh", { refreshToken: (body as { refreshToken: string }).refreshToken });
      return json(200, resource.tokens(reply.tokens));
    },
  }),
  logout: route({
    upstream: "identity",
    ...credentials,
    async handle(call, { body }) {
      await call("logout", { refreshToken: (body as { refreshToken: string }).refreshToken });
      return done;
    },
  }),
  createApiKey: route({
    upstream: "identity",
    auth: "session",
    ...write,
    async handle(call, request) {
      const name = (request.body as { name: string }).name;
      const reply = await call("createApiKey", { principal: principal(request), name });
      const { keyId, secret, createdAt } = reply;
      return json(201, { keyId, secret, name: reply.name, createdAt });
    },
  }),
  deleteApiKey: route({
    upstream: "identity",
    auth: "user",
    ...write,
    async handle(call, request) {
      await call("deleteApiKey", { principal: principal(request), keyId: str(request.path, "keyId") });
      return done;
    },
  }),

  listProducts: route({
    upstream: "catalog",
    auth: "public",
    ...read,
    async handle(call, { query }) {
      const category = (query["category"] as string | undefined) ?? "";
      const reply = await call("listProducts", { page: page(query), category });
      return json(200, {
        items: reply.products.map(resource.product),
        nextCursor: resource.cursor(reply.nextCursor),
      });
    },
  }),
  getProduct: route({
    upstream: "catalog",
    auth: "public",
    ...read,
    async handle(call, { path }) {
      const reply = await call("getProduct", { id: str(path, "id") });
      return json(200, resource.product(reply.product));
    },
  }),
  createProduct: route({
    upstream: "catalog",
    auth: "admin",
    ...write,
    async handle(call, request) {
      const b = request.body as Required<ProductBody>;
      const reply = await call("createProduct", {
        principal: principal(request),
        sku: b.sku,
        name: b.name,
        description: b.description ?? "",
        category: b.category,
        price: resource.moneyMessage(b.price),
        stock: b.stock ?? 0,
      });
      const created = resource.product(reply.product);
      return json(201, created, created ? { Location: `/v1/products/${created.id}` } : undefined);
    },
  }),
  updateProduct: route({
    upstream: "catalog",
    auth: "admin",
    ...write,
    async handle(call, request) {
      const b = request.body as ProductBody;
      const reply = await call("updateProduct", {
        principal: principal(request),
        id: str(request.path, "id"),
        name: b.name,
        description: b.description,
        category: b.category,
        price: resource.moneyMessage(b.price),
        stock: b.stock,
      });
      return json(200, resource.product(reply.product));
    },
  }),

  search: route({
    upstream: "search",
    auth: "public",
    ...read,
    async handle(call, { query }) {
      const reply = await call("search", {
        query: (query["q"] as string | undefined) ?? "",
        category: (query["category"] as string | undefined) ?? "",
        page: page(query),
        minPriceMinor: BigInt((query["minPrice"] as number | undefined) ?? 0),
        maxPriceMinor: BigInt((query["maxPrice"] as number | undefined) ?? 0),
      });
      return json(200, {
        items: reply.hits.map(resource.searchHit),
        total: Number(reply.total),
        nextCursor: resource.cursor(reply.nextCursor),
      });
    },
  }),

  placeOrder: route({
    upstream: "orders",
    auth: "user",
    routeClass: "write",
    deadlineMs: 5_000,
    idempotent: false,
    async handle(call, request) {
      const { lines } = request.body as { lines: { productId: string; quantity: number }[] };
      const reply = await call("placeOrder", {
        principal: principal(request),
        idempotencyKey: String(request.header["idempotency-key"]),
        lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
      });
      const placed = resource.order(reply.order);
      const headers: Record<string, string> = placed ? { Location: `/v1/orders/${placed.id}` } : {};
      if (reply.replayed) headers["Idempotent-Replayed"] = "true";
      return json(reply.replayed ? 200 : 201, placed, headers);
    },
  }),
  getOrder: route({
    upstream: "orders",
    auth: "user",
    ...read,
    async handle(call, request) {
      const reply = await call("getOrder", { principal: principal(request), id: str(request.path, "id") });
      return json(200, resource.order(reply.order));
    },
  }),
  cancelOrder: route({
    upstream: "orders",
    auth: "user",
    routeClass: "write",
    deadlineMs: 5_000,
    idempotent: false,
    async handle(call, request) {
      const reply = await call("cancelOrder", { principal: principal(request), id: str(request.path, "id") });
      return json(200, resource.order(reply.order));
    },
  }),

  createWebhook: route({
    upstream: "notifications",
    auth: "user",
    ...write,
    async handle(call, request) {
      const b = request.body as { url: string; eventTypes: string[] };
      const reply = await call("createWebhook", {
        principal: principal(request),
        url: b.url,
        eventTypes: b.eventTypes,
      });
      return json(201, { webhook: resource.webhook(reply.webhook), secret: reply.secret });
    },
  }),
  listWebhooks: route({
    upstream: "notifications",
    auth: "user",
    ...read,
    async handle(call, request) {
      const reply = await call("listWebhooks", { principal: principal(request) });
      return json(200, { items: reply.webhooks.map(resource.webhook) });
    },
  }),
  deleteWebhook: route({
    upstream: "notifications",
    auth: "user",
    ...write,
    async handle(call, request) {
      await call("deleteWebhook", { principal: principal(request), id: str(request.path, "id") });
      return done;
    },
  }),
  listDeliveries: route({
    upstream: "notifications",
    auth: "user",
    ...read,
    async handle(call, request) {
      const reply = await call("listDeliveries", {
        principal: principal(request),
        webhookId: str(request.path, "id"),
        page: page(request.query),
      });
      return json(200, {
        items: reply.deliveries.map(resource.delivery),
        nextCursor: resource.cursor(reply.nextCursor),
      });
    },
  }),

  entityHistory: route({
    upstream: "audit",
    auth: "user",
    ...read,
    async handle(call, request) {
      const reply = await call("historyByEntity", {
        principal: principal(request),
        entityType: str(request.path, "type"),
        entityId: str(request.path, "id"),
        page: page(request.query),
      });
      return json(200, {
        items: reply.events.map(resource.auditEvent),
        nextCursor: resource.cursor(reply.nextCursor),
      });
    },
  }),
  entityState: route({
    upstream: "audit",
    auth: "user",
    ...read,
    async handle(call, request) {
      const reply = await call("stateAt", {
        principal: principal(request),
        entityType: str(request.path, "type"),
        entityId: str(request.path, "id"),
        at: (request.query["at"] as string | undefined) ?? "",
      });
      return json(200, { state: resource.entityState(reply.stateJson), eventsApplied: reply.eventsApplied });
    },
  }),
  traceHistory: route({
    upstream: "audit",
    auth: "admin",
    ...read,
    async handle(call, request) {
      const reply = await call("historyByTrace", {
        principal: principal(request),
        traceId: str(request.path, "traceId"),
        page: page(request.query),
      });
      return json(200, {
        items: reply.events.map(resource.auditEvent),
        nextCursor: resource.cursor(reply.nextCursor),
      });
    },
  }),
  verifyAuditChain: route({
    upstream: "audit",
    auth: "admin",
    routeClass: "write",
    deadlineMs: 30_000,
    idempotent: false,
    async handle(call, request) {
      const reply = await call("verifyChain", { principal: principal(request) });
      return json(200, {
        valid: reply.valid,
        eventsChecked: Number(reply.eventsChecked),
        firstBrokenSequence: Number(reply.firstBrokenSequence),
        reason: reply.reason,
      });
    },
  }),
} satisfies Record<string, AnyRoute>;

export type OperationId = keyof typeof routes;
