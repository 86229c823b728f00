import { setTimeout as sleep } from "node:timers/promises";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../../contracts/ed25519.js";
import { generateSecret } from "../../../contracts/service-spec.js";
import {
  CatalogService,
  file_platform_catalog_v1_catalog,
} from "../../gen/platform/catalog/v1/catalog_pb.js";
import { invalidArgument, notFound } from "../errors.js";
import { createLogger } from "../logger.js";
import { RequestMetrics } from "../metrics.js";
import { CallerCheck } from "./caller-check.js";
import { CallerIdentity } from "./caller-identity.js";
import { type Client, createClient, type RpcError, Status } from "./client.js";
import { RpcServer } from "./server.js";

const seed = generateSecret("key-256-base64");
const callers = new CallerCheck({
  service: "catalog",
  keys: new Map([["gateway", publicKeyObject(publicKeyFromSeed(seed))!]]),
  principalCallers: new Set(["gateway"]),
  methodCallers: {},
});
const caller = new CallerIdentity("gateway", privateKeyFromSeed(seed)).towards("catalog");

const logger = createLogger("rpc-test", { level: "silent" });
const metrics = new RequestMetrics("catalog", { zone: "test", version: "test" });
let server: RpcServer;
let client: Client<typeof CatalogService>;
let port: number;

const product = (id: string) => ({
  id,
  sku: `SKU-${id}`,
  name: "Red shoes",
  category: "shoes",
  stock: 3,
  price: { amountMinor: 4999n, currency: "EUR" },
});

beforeAll(async () => {
  server = new RpcServer(
    CatalogService,
    {
      getProduct: async (request, call) => {
        if (request.id === "slow")
          await sleep(200, undefined, { signal: call.signal }).catch(() => undefined);
        if (request.id === "missing") throw notFound("product missing");
        if (request.id === "bad") throw invalidArgument("id is malformed", { id: "not a UUID" });
        if (request.id === "accented") throw invalidArgument("id is malformed", { id: "pas un UUID « … »" });
        if (request.id === "boom") throw new Error("database password is hunter2");
        return { product: product(request.id) };
      },
      listProducts: async () => ({ products: [product("a"), product("b")], nextCursor: "c2" }),
      createProduct: async () => ({}),
      updateProduct: async () => ({}),
      reserveStock: async () => ({}),
      releaseStock: async () => ({}),
    },
    { file: file_platform_catalog_v1_catalog, logger, metrics, callers, reflection: false },
  );
  port = await server.listen("127.0.0.1", 0);
  client = createClient(CatalogService, `127.0.0.1:${port}`, { timeoutMs: 1_000, caller });
});

afterAll(async () => {
  client.close();
  await server.stopAccepting();
});

describe("the gRPC transport", () => {
  it("round-trips a unary call with binary protobuf", async () => {
    const response = await client.getProduct({ id: "p1" });
    expect(response.product?.name).toBe("Red shoes");
    expect(response.product?.price?.amountMinor).toBe(4999n);
  });

  it("carries repeated fields and strings", async () => {
    const response = await client.listProducts({ page: { limit: 2 } });
    expect(response.products.map((p) => p.id)).toEqual(["a", "b"]);
    expect(response.nextCursor).toBe("c2");
  });

  it("maps a domain error to its status code and keeps field details", async () => {
    await expect(client.getProduct({ id: "bad" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      message: "id is malformed",
      details: { id: "not a UUID" },
    });
    await expect(client.getProduct({ id: "missing" })).rejects.toMatchObject({ code: Status.NOT_FOUND });
  });

  it("carries field details that are not ASCII (gRPC metadata is)", async () => {
    await expect(client.getProduct({ id: "accented" })).rejects.toMatchObject({
      code: Status.INVALID_ARGUMENT,
      details: { id: "pas un UUID « … »" },
    });
  });

  it("reports an unexpected error as INTERNAL without leaking its message", async () => {
    const err = (await client.getProduct({ id: "boom" }).catch((e: unknown) => e)) as RpcError;
    expect(err.code).toBe(Status.INTERNAL);
    expect(err.message).toBe("internal error");
  });

  it("fails with DEADLINE_EXCEEDED when the deadline passes", async () => {
    const started = Date.now();
    await expect(client.getProduct({ id: "slow" }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: Status.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - started).toBeLessThan(180);
  });

  it("answers the standard health check as SERVING", async () => {
    const health = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const status = await new Promise<Buffer>((resolve, reject) =>
      health.makeUnaryRequest(
        "/grpc.health.v1.Health/Check",
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        (err, value) => (err ? reject(err) : resolve(value!)),
      ),
    );
    health.close();
    // HealthCheckResponse { status: SERVING (1) } is field 1, varint 1.
    expect([...status]).toEqual([0x08, 0x01]);
  });

  it("fails fast with UNAVAILABLE when nothing listens", async () => {
    const nobody = createClient(CatalogService, "127.0.0.1:1", { timeoutMs: 1_000, caller });
    await expect(nobody.getProduct({ id: "x" })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    nobody.close();
  });

  it("counts each call in the request metrics and returns the gauge to zero", async () => {
    await client.getProduct({ id: "p2" });
    expect(metrics.inFlight).toBe(0);
  });
});
