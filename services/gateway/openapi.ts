/**
 * The public REST API as an OpenAPI 3.1 document: paths, parameters, bodies and responses.
 * Requests are routed and validated from it (JSON Schema 2020-12); what the route table
 * knows (who may call, the rate-limit class) is added by `publishedDocument`, so each fact
 * has one home. Served at /openapi.json.
 */

import * as auditPage from "../audit/paging.js";
import { productLimits } from "../catalog/validate.js";
import { maxPasswordLength, minPasswordLength } from "../identity/password-rules.js";
import { eventTypeLimits, eventTypePattern } from "../notifications/event-types.js";
import { idempotencyKeyPattern, orderLimits } from "../orders/requests.js";

export type JsonSchema = { readonly [keyword: string]: unknown };
export const httpMethods = ["get", "post", "patch", "put", "delete"] as const;
export type HttpMethod = (typeof httpMethods)[number];

export interface Parameter {
  readonly name: string;
  readonly in: "path" | "query" | "header";
  readonly required?: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/**
 * How a response leads to the next call (OpenAPI links): the values of its parameters or
 * body as runtime expressions, e.g. `$response.body#/id`. Clients and Schemathesis's stateful
 * phase follow them.
 */
export interface Link {
  readonly operationId: string;
  readonly description?: string;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly requestBody?: Readonly<Record<string, string>>;
}

export interface Response {
  readonly description: string;
  readonly headers?: Readonly<Record<string, { description: string; schema: JsonSchema }>>;
  readonly content?: Readonly<Record<string, { schema: JsonSchema }>>;
  readonly links?: Readonly<Record<string, Link>>;
}

export interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: {
    readonly required: true;
    readonly content: { readonly "application/json": { readonly schema: JsonSchema } };
  };
  readonly responses: Readonly<Record<string, Response>>;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly [extension: `x-${string}`]: unknown;
}

export type PathItem = Partial<Record<HttpMethod, Operation>>;

export interface OpenApiDocument {
  readonly openapi: "3.1.0";
  readonly jsonSchemaDialect: string;
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly { name: string; description: string }[];
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes: Readonly<Record<string, JsonSchema>>;
  };
}

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const string = (extra: JsonSchema = {}): JsonSchema => ({ type: "string", ...extra });
const integer = (extra: JsonSchema = {}): JsonSchema => ({ type: "integer", ...extra });
const object = (properties: Record<string, JsonSchema>, required: string[] = [], extra: JsonSchema = {}) => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
const uuid = string({ format: "uuid" });
/** Money in minor units; bounded, or "1e400" would arrive as Infinity. */
const minorUnits = integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const timestamp = string({ format: "date-time" });
const listOf = (item: string) =>
  object({ items: { type: "array", items: ref(item) }, nextCursor: { type: ["string", "null"] } }, [
    "items",
    "nextCursor",
  ]);

const json = (schema: JsonSchema) => ({ "application/json": { schema } });
const body = (name: string) => ({ required: true as const, content: json(ref(name)) });
const ok = (description: string, schema: string): Response => ({ description, content: json(ref(schema)) });
const noContent: Response = { description: "Done; no content" };
const linked = (response: Response, links: Record<string, Link>): Response => ({ ...response, links });
/** A link that passes the response's `pointer` (a JSON pointer into its body) as the path parameter `name`. */
const byId = (operationId: string, description: string, pointer = "/id", name = "id"): Link => ({
  operationId,
  description,
  parameters: { [name]: `$response.body#${pointer}` },
});
/** Links from a response holding a refresh token to what can be done with it. */
const refreshLinks = {
  Refresh: {
    operationId: "refresh",
    description: "Rotate the refresh token",
    requestBody: { refreshToken: "$response.body#/refreshToken" },
  },
  Logout: {
    operationId: "logout",
    description: "End this session",
    requestBody: { refreshToken: "$response.body#/refreshToken" },
  },
} satisfies Record<string, Link>;

/**
 * Problems any request can meet, whatever its operation, so `publishedDocument` adds them to
 * every one: a malformed request or parameter (400), credentials refused, which public routes
 * check too (401), a rate limit (429), a request head over the server's limit (431), the
 * gateway's own failure (500) and an upstream's (502-504).
 */
export const anyRequestProblems = [400, 401, 429, 431, 500, 502, 503, 504] as const;
/** And those of a request with a body: too large (413), not JSON (415). */
export const bodyProblems = [413, 415] as const;

/**
 * Headers on the gateway's answers to every operation. `traceresponse` (W3C Trace Context
 * Level 2) names the trace the gateway started for the request; a request the HTTP parser
 * refuses (431) never reaches the pipeline and has none, hence not `required`.
 */
const everyResponseHeaders = {
  traceresponse: {
    description:
      "`00-<trace-id>-<span-id>-<flags>`: the new trace the gateway filed this request under (a client's " +
      "`traceparent` is linked to it, not continued). Its trace id finds the request's events at " +
      "`/v1/audit/traces/{traceId}`.",
    schema: { type: "string", pattern: "^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$" },
  },
} satisfies Response["headers"];

/** The problem responses of these statuses. */
function problems(...statuses: number[]): Record<string, Response> {
  return Object.fromEntries(
    [...new Set(statuses)].sort().map((status) => [
      String(status),
      {
        description: "A problem (RFC 9457); `type` names its kind",
        content: { "application/problem+json": { schema: ref("Problem") } },
      },
    ]),
  );
}

const pathParam = (name: string, schema: JsonSchema, description: string): Parameter => ({
  name,
  in: "path",
  required: true,
  description,
  schema,
});
const queryParam = (name: string, schema: JsonSchema, description: string): Parameter => ({
  name,
  in: "query",
  description,
  schema,
});
const pageOf = (maximum: number, fallback: number) => [
  // Search's cursors carry the last name of a page sorted by name: up to 200 characters of UTF-8,
  // base64url like every service's cursors, so a cursor's URL is never longer than 2048 bytes.
  queryParam(
    "cursor",
    string({ maxLength: 2048, pattern: "^[A-Za-z0-9_-]*$" }),
    "`nextCursor` of the previous page; omit for the first",
  ),
  queryParam(
    "limit",
    integer({ minimum: 1, maximum }),
    `Items per page, 1 to ${maximum} (default ${fallback})`,
  ),
];
const page = pageOf(100, 20);
const idParam = (what: string) => pathParam("id", uuid, `The ${what}'s id`);

/** A category: a lowercase slug such as "shoes". */
const category = string({ pattern: productLimits.category, description: 'A lowercase slug such as "shoes"' });
/** What a product's writer sets, within catalog's own bounds (services/catalog/validate.ts). */
const productFields = {
  name: string({ minLength: 1, maxLength: productLimits.maxName, pattern: productLimits.line }),
  description: string({ maxLength: productLimits.maxDescription, pattern: productLimits.lines }),
  category,
  price: ref("ProductPrice"),
  stock: integer({ minimum: 0, maximum: productLimits.maxStock }),
};

const schemas: Record<string, JsonSchema> = {
  Problem: {
    type: "object",
    required: ["type", "title", "status"],
    properties: {
      type: string({ format: "uri-reference", description: "Stable URI of the problem kind" }),
      title: string(),
      status: integer(),
      detail: string(),
      instance: string({ description: "The request path" }),
      requestId: string(),
      traceId: string(),
      reason: string({ description: "Why credentials were refused (401 only)" }),
      upstream: string({ description: "The service that failed (502-504)" }),
      errors: {
        type: "array",
        items: {
          type: "object",
          properties: { pointer: string(), parameter: string(), detail: string() },
          required: ["detail"],
        },
      },
    },
  },
  Money: object(
    {
      amountMinor: integer({
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        description: "Minor units (cents)",
      }),
      currency: string({ pattern: "^[A-Z]{3}$", description: "ISO 4217" }),
    },
    ["amountMinor", "currency"],
  ),
  SignUp: object(
    {
      email: string({ format: "email", maxLength: 254 }),
      password: string({
        minLength: minPasswordLength,
        maxLength: maxPasswordLength,
        description: "Must not contain the email address",
      }),
      name: string({ minLength: 1, maxLength: 200 }),
    },
    ["email", "password", "name"],
  ),
  Login: object(
    {
      email: string({ format: "email", maxLength: 254 }),
      password: string({ minLength: 1, maxLength: 1024 }),
    },
    ["email", "password"],
  ),
  RefreshToken: object({ refreshToken: string({ minLength: 1, maxLength: 1024 }) }, ["refreshToken"]),
  User: object(
    {
      id: string(),
      email: string(),
      name: string(),
      roles: { type: "array", items: string() },
      createdAt: timestamp,
    },
    ["id", "email", "name", "roles", "createdAt"],
  ),
  SignUpAccepted: object(
    {
      status: string({ enum: ["accepted"] }),
      detail: string({ description: "What to do next: log in" }),
    },
    ["status", "detail"],
  ),
  Tokens: object(
    {
      accessToken: string(),
      refreshToken: string(),
      expiresIn: integer({ description: "Seconds until the access token expires" }),
      tokenType: string(),
      user: ref("User"),
    },
    ["accessToken", "refreshToken", "expiresIn", "tokenType"],
  ),
  NewApiKey: object({ name: string({ minLength: 1, maxLength: 100 }) }, ["name"]),
  ApiKey: object(
    {
      keyId: string(),
      secret: string({ description: "The signing key, base64url; shown once" }),
      name: string(),
      createdAt: timestamp,
    },
    ["keyId", "secret", "name", "createdAt"],
  ),
  Product: object(
    {
      id: uuid,
      sku: string(),
      name: string(),
      description: string(),
      category: string(),
      price: ref("Money"),
      stock: integer(),
      createdAt: timestamp,
      updatedAt: timestamp,
      version: integer(),
    },
    ["id", "sku", "name", "description", "category", "price", "stock", "createdAt", "updatedAt", "version"],
  ),
  ProductList: listOf("Product"),
  NewProduct: object(
    {
      sku: string({ pattern: productLimits.sku, description: "2 to 64 of A-Z, 0-9 and -" }),
      ...productFields,
    },
    ["sku", "name", "category", "price"],
  ),
  ProductChanges: object(productFields, [], { minProperties: 1 }),
  ProductPrice: object(
    {
      amountMinor: integer({
        minimum: 0,
        maximum: productLimits.maxPriceMinor,
        description: "Minor units (cents)",
      }),
      currency: string({ pattern: "^[A-Z]{3}$", description: "ISO 4217" }),
    },
    ["amountMinor", "currency"],
  ),
  SearchHit: object(
    {
      productId: string(),
      name: string(),
      category: string(),
      price: ref("Money"),
      score: { type: "number" },
      highlights: { type: "object", additionalProperties: { type: "array", items: string() } },
    },
    ["productId", "name", "category", "price", "score", "highlights"],
  ),
  SearchResults: object(
    {
      items: { type: "array", items: ref("SearchHit") },
      total: integer(),
      nextCursor: { type: ["string", "null"] },
    },
    ["items", "total", "nextCursor"],
  ),
  NewOrder: object(
    {
      lines: {
        type: "array",
        minItems: orderLimits.minLines,
        maxItems: orderLimits.maxLines,
        items: object(
          {
            productId: uuid,
            quantity: integer({ minimum: orderLimits.minQuantity, maximum: orderLimits.maxQuantity }),
          },
          ["productId", "quantity"],
        ),
      },
    },
    ["lines"],
  ),
  Order: object(
    {
      id: string(),
      userId: string(),
      state: string({ enum: ["pending", "confirmed", "rejected", "cancelled", "unspecified"] }),
      lines: {
        type: "array",
        items: object({ productId: string(), quantity: integer(), unitPrice: ref("Money") }, [
          "productId",
          "quantity",
        ]),
      },
      total: ref("Money"),
      reason: string(),
      createdAt: timestamp,
      updatedAt: timestamp,
    },
    ["id", "userId", "state", "lines"],
  ),
  NewWebhook: object(
    {
      url: string({ format: "uri", maxLength: 2048, pattern: "^https?://" }),
      eventTypes: {
        type: "array",
        minItems: 1,
        maxItems: eventTypeLimits.maxTypes,
        uniqueItems: true,
        items: string({
          maxLength: eventTypeLimits.maxLength,
          pattern: eventTypePattern,
          description: 'A CloudEvent type such as "platform.orders.order.confirmed", or one ending in ".*"',
        }),
      },
    },
    ["url", "eventTypes"],
  ),
  Webhook: object(
    { id: string(), url: string(), eventTypes: { type: "array", items: string() }, createdAt: timestamp },
    ["id", "url", "eventTypes", "createdAt"],
  ),
  WebhookCreated: object({ webhook: ref("Webhook"), secret: string({ description: "Shown once" }) }, [
    "webhook",
    "secret",
  ]),
  WebhookList: object({ items: { type: "array", items: ref("Webhook") } }, ["items"]),
  Delivery: object(
    {
      id: string(),
      webhookId: string(),
      eventId: string(),
      eventType: string(),
      status: string({ enum: ["pending", "delivered", "retrying", "dead"] }),
      attempts: integer(),
      lastStatusCode: integer(),
      lastError: string(),
      updatedAt: timestamp,
    },
    ["id", "webhookId", "eventId", "eventType", "status", "attempts"],
  ),
  DeliveryList: listOf("Delivery"),
  AuditEvent: object(
    {
      sequence: integer(),
      eventId: string(),
      type: string(),
      source: string(),
      subject: string(),
      entityType: string(),
      entityId: string(),
      actor: string(),
      traceId: string(),
      time: timestamp,
      data: {},
      hash: string(),
      previousHash: string(),
    },
    ["sequence", "eventId", "type", "entityType", "entityId", "time", "hash"],
  ),
  AuditHistory: listOf("AuditEvent"),
  EntityState: object({ state: {}, eventsApplied: integer() }, ["state", "eventsApplied"]),
  ChainVerification: object(
    {
      valid: { type: "boolean" },
      eventsChecked: integer(),
      firstBrokenSequence: integer(),
      reason: string(),
    },
    ["valid", "eventsChecked"],
  ),
};

const orderLinks = {
  GetOrder: byId("getOrder", "Read the order"),
  CancelOrder: byId("cancelOrder", "Cancel the order"),
};

const entityParams = [
  pathParam("type", string({ pattern: "^[a-z][a-z0-9_-]{0,63}$" }), "The entity type, e.g. `order`"),
  pathParam("id", string({ pattern: "^[A-Za-z0-9_.:-]{1,128}$" }), "The entity's id"),
];

/** Every route of the API: path template, method, operation. */
export const paths: Record<string, PathItem> = {
  "/v1/auth/signup": {
    post: {
      operationId: "signUp",
      summary: "Create a user account; log in afterwards",
      description:
        "The answer is the same whether the account was created or the email already had one, which is left " +
        "unchanged: sign-up does not tell which emails are registered. Log in to get tokens and the user.",
      tags: ["auth"],
      requestBody: body("SignUp"),
      responses: {
        "202": linked(ok("Accepted: log in with this email and password", "SignUpAccepted"), {
          Login: {
            operationId: "login",
            description: "Log the new user in",
            requestBody: { email: "$request.body#/email", password: "$request.body#/password" },
          },
        }),
      },
    },
  },
  "/v1/auth/login": {
    post: {
      operationId: "login",
      summary: "Exchange email and password for an access and a refresh token",
      tags: ["auth"],
      requestBody: body("Login"),
      responses: { "200": linked(ok("Tokens", "Tokens"), refreshLinks), ...problems(401) },
    },
  },
  "/v1/auth/refresh": {
    post: {
      operationId: "refresh",
      summary: "Exchange a refresh token for new tokens; the presented one is spent (rotation)",
      tags: ["auth"],
      requestBody: body("RefreshToken"),
      responses: { "200": linked(ok("New tokens", "Tokens"), refreshLinks), ...problems(401) },
    },
  },
  "/v1/auth/logout": {
    post: {
      operationId: "logout",
      summary: "End the session of a refresh token; its access tokens stop working within 30 s",
      tags: ["auth"],
      requestBody: body("RefreshToken"),
      responses: { "204": noContent, ...problems(401) },
    },
  },
  "/v1/auth/api-keys": {
    post: {
      operationId: "createApiKey",
      summary: "Create an API key for signed requests; its secret is shown once",
      description:
        "A user may hold only a few keys at once (a deployment setting); one more is a 422 until one is deleted.",
      tags: ["auth"],
      requestBody: body("NewApiKey"),
      responses: {
        "201": linked(ok("The key and its secret", "ApiKey"), {
          DeleteApiKey: byId("deleteApiKey", "Delete this key", "/keyId", "keyId"),
        }),
        ...problems(401, 403, 422),
      },
    },
  },
  "/v1/auth/api-keys/{keyId}": {
    delete: {
      operationId: "deleteApiKey",
      summary: "Delete an API key",
      tags: ["auth"],
      parameters: [pathParam("keyId", string({ pattern: "^[A-Za-z0-9_-]{1,128}$" }), "The key's id")],
      responses: { "204": noContent, ...problems(401, 403, 404) },
    },
  },
  "/v1/products": {
    get: {
      operationId: "listProducts",
      summary: "List products, oldest first, a page at a time",
      tags: ["catalog"],
      parameters: [...page, queryParam("category", category, "Only this category")],
      responses: { "200": ok("A page of products", "ProductList") },
    },
    post: {
      operationId: "createProduct",
      summary: "Add a product (admin)",
      tags: ["catalog"],
      requestBody: body("NewProduct"),
      responses: {
        "201": linked(ok("The new product", "Product"), {
          GetProduct: byId("getProduct", "Read the new product"),
          UpdateProduct: byId("updateProduct", "Change the new product"),
        }),
        ...problems(401, 403, 409),
      },
    },
  },
  "/v1/products/{id}": {
    get: {
      operationId: "getProduct",
      summary: "Read a product",
      tags: ["catalog"],
      parameters: [idParam("product")],
      responses: { "200": ok("The product", "Product"), ...problems(404) },
    },
    patch: {
      operationId: "updateProduct",
      summary: "Change a product's fields (admin)",
      tags: ["catalog"],
      parameters: [idParam("product")],
      requestBody: body("ProductChanges"),
      responses: {
        "200": linked(ok("The product as changed", "Product"), {
          GetProduct: byId("getProduct", "Read the product back"),
        }),
        ...problems(401, 403, 404),
      },
    },
  },
  "/v1/search": {
    get: {
      operationId: "search",
      summary: "Full-text product search",
      tags: ["search"],
      parameters: [
        queryParam("q", string({ minLength: 1, maxLength: 200 }), "Words to look for"),
        queryParam("category", category, "Only this category"),
        queryParam("minPrice", minorUnits, "Lowest price, minor units"),
        queryParam("maxPrice", minorUnits, "Highest price, minor units"),
        ...page,
      ],
      responses: { "200": ok("Matching products, best first", "SearchResults") },
    },
  },
  "/v1/orders": {
    post: {
      operationId: "placeOrder",
      summary: "Place an order; the Idempotency-Key makes a retry return the first outcome",
      tags: ["orders"],
      parameters: [
        {
          name: "Idempotency-Key",
          in: "header",
          required: true,
          description:
            "A client-chosen key per order (per user), e.g. a UUID: a retry with it returns the first order; reused with other lines it is a 422",
          schema: string({ pattern: idempotencyKeyPattern }),
        },
      ],
      requestBody: body("NewOrder"),
      responses: {
        "201": linked(
          ok(
            "The order: confirmed, rejected (with its reason), or pending while stock is being reserved",
            "Order",
          ),
          orderLinks,
        ),
        "200": linked(
          ok("The order this Idempotency-Key placed before (`Idempotent-Replayed: true`)", "Order"),
          orderLinks,
        ),
        ...problems(401, 422),
      },
    },
  },
  "/v1/orders/{id}": {
    get: {
      operationId: "getOrder",
      summary: "Read an order (its owner or an admin)",
      tags: ["orders"],
      parameters: [idParam("order")],
      responses: { "200": ok("The order", "Order"), ...problems(401, 403, 404) },
    },
  },
  "/v1/orders/{id}/cancel": {
    post: {
      operationId: "cancelOrder",
      summary: "Cancel an order (its owner or an admin)",
      tags: ["orders"],
      parameters: [idParam("order")],
      responses: {
        "200": linked(ok("The cancelled order", "Order"), {
          GetOrder: byId("getOrder", "Read the order back"),
        }),
        ...problems(401, 403, 404, 422),
      },
    },
  },
  "/v1/webhooks": {
    post: {
      operationId: "createWebhook",
      summary: "Subscribe a URL to event types; deliveries are HMAC-signed with the returned secret",
      tags: ["webhooks"],
      requestBody: body("NewWebhook"),
      responses: {
        "201": linked(ok("The subscription and its secret", "WebhookCreated"), {
          ListDeliveries: byId("listDeliveries", "The subscription's deliveries", "/webhook/id"),
          DeleteWebhook: byId("deleteWebhook", "Delete the subscription", "/webhook/id"),
        }),
        ...problems(401, 422),
      },
    },
    get: {
      operationId: "listWebhooks",
      summary: "List the principal's webhook subscriptions",
      tags: ["webhooks"],
      responses: { "200": ok("Subscriptions", "WebhookList"), ...problems(401) },
    },
  },
  "/v1/webhooks/{id}": {
    delete: {
      operationId: "deleteWebhook",
      summary: "Delete a webhook subscription",
      tags: ["webhooks"],
      parameters: [idParam("webhook")],
      responses: { "204": noContent, ...problems(401, 403, 404) },
    },
  },
  "/v1/webhooks/{id}/deliveries": {
    get: {
      operationId: "listDeliveries",
      summary: "A webhook's delivery attempts, newest first",
      tags: ["webhooks"],
      parameters: [idParam("webhook"), ...page],
      responses: { "200": ok("A page of deliveries", "DeliveryList"), ...problems(401, 403, 404) },
    },
  },
  "/v1/audit/entities/{type}/{id}": {
    get: {
      operationId: "entityHistory",
      summary: "An entity's history (its owner or an admin)",
      tags: ["audit"],
      parameters: [...entityParams, ...pageOf(auditPage.maxPageSize, auditPage.defaultPageSize)],
      responses: { "200": ok("A page of events, oldest first", "AuditHistory"), ...problems(401, 403) },
    },
  },
  "/v1/audit/entities/{type}/{id}/state": {
    get: {
      operationId: "entityState",
      summary: "An entity's state at a time, folded from its events",
      tags: ["audit"],
      parameters: [...entityParams, queryParam("at", timestamp, "RFC 3339; now when omitted")],
      responses: { "200": ok("The state", "EntityState"), ...problems(401, 403) },
    },
  },
  "/v1/audit/traces/{traceId}": {
    get: {
      operationId: "traceHistory",
      summary: "The events of one distributed transaction, a page at a time (admin)",
      description:
        "The trace id is the gateway's, from the `traceresponse` header of the request that started the transaction. ",
      tags: ["audit"],
      parameters: [
        pathParam("traceId", string({ pattern: "^[0-9a-f]{32}$" }), "A W3C trace id"),
        ...pageOf(auditPage.maxPageSize, auditPage.defaultPageSize),
      ],
      responses: { "200": ok("A page of events, in recorded order", "AuditHistory"), ...problems(401, 403) },
    },
  },
  "/v1/audit/verify": {
    post: {
      operationId: "verifyAuditChain",
      summary: "Verify the hash chain of the whole audit trail (admin)",
      tags: ["audit"],
      responses: { "200": ok("The verdict", "ChainVerification"), ...problems(401, 403) },
    },
  },
};

/** How a route authenticates; the route table says which, the document shows it. */
export type AuthRequirement = "public" | "user" | "session" | "admin";

const security: Record<AuthRequirement, Operation["security"]> = {
  // Public, but credentials that are sent are checked (and count for the user's rate limit).
  public: [{}, { bearerAuth: [] }, { signedRequest: [] }],
  user: [{ bearerAuth: [] }, { signedRequest: [] }],
  // Only an access token from a login: an API key cannot manage API keys.
  session: [{ bearerAuth: [] }],
  admin: [{ bearerAuth: [] }, { signedRequest: [] }],
};

const info = {
  title: "Platform API",
  version: "1.0.0",
  description: [
    "The platform's public REST API. Errors are RFC 9457 problem documents (`application/problem+json`)",
    "whose `type` is stable per kind. Every response carries `X-Request-Id`, and `traceresponse` names the new trace",
    "the gateway started for the request (a W3C `traceparent` sent is kept as a link to it, not continued).",
    "Rate limits are per user (or client address) and route class, announced in `RateLimit` and `RateLimit-Policy` headers;",
    "an address that keeps sending bad credentials is refused (429) for a while.",
    "Authenticate with a bearer access token from `/v1/auth/login`, or sign requests with an API key",
    "(the signing scheme is in the gateway's README).",
  ].join(" "),
};

/** The document as served: every operation with its security and rate-limit class from the route table. */
export function publishedDocument(
  routes: Readonly<Record<string, { readonly auth: AuthRequirement; readonly routeClass: string }>>,
): OpenApiDocument {
  const published: Record<string, PathItem> = {};
  for (const [path, item] of Object.entries(paths)) {
    published[path] = Object.fromEntries(
      Object.entries(item).map(([method, operation]) => {
        const route = routes[operation.operationId];
        if (!route) throw new Error(`operation ${operation.operationId} has no route in the route table`);
        const extra =
          route.auth === "admin"
            ? { description: `${operation.description ?? ""}Requires the admin role.` }
            : {};
        const generic = [...anyRequestProblems, ...(operation.requestBody ? bodyProblems : [])];
        const responses = Object.fromEntries(
          Object.entries({ ...operation.responses, ...problems(...generic) }).map(([status, response]) => [
            status,
            { ...response, headers: { ...response.headers, ...everyResponseHeaders } },
          ]),
        );
        return [
          method,
          {
            ...operation,
            ...extra,
            responses,
            security: security[route.auth],
            "x-rate-limit-class": route.routeClass,
          },
        ];
      }),
    );
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://spec.openapis.org/oas/3.1/dialect/base",
    info,
    tags: ["auth", "catalog", "search", "orders", "webhooks", "audit"].map((name) => ({
      name,
      description: `${name[0]!.toUpperCase()}${name.slice(1)} operations`,
    })),
    paths: published,
    components: {
      schemas,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT (EdDSA)" },
        signedRequest: {
          type: "apiKey",
          in: "header",
          name: "X-Api-Key-Id",
          description:
            "With X-Signature-Timestamp, optional X-Signature-Nonce, and X-Signature: base64url HMAC-SHA256 (43 characters, " +
            "no padding) of METHOD, PATH, sorted QUERY, TIMESTAMP, NONCE, Idempotency-Key and the body's hex SHA-256, one per line.",
        },
      },
    },
  };
}
