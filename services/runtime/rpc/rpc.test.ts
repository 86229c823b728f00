import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../../contracts/ed25519.js";
import { generateSecret } from "../../../contracts/service-spec.js";
import {
  CatalogService,
  file_platform_catalog_v1_catalog,
  GetProductRequestSchema,
  GetProductResponseSchema,
} from "../../gen/platform/catalog/v1/catalog_pb.js";
import { invalidArgument, notFound } from "../errors.js";
import { createLogger } from "../logger.js";
import { RequestMetrics } from "../metrics.js";
import { CallerCheck } from "./caller-check.js";
import { CallerIdentity } from "./caller-identity.js";
import { type Client, createClient, type RpcError, Status } from "./client.js";
import { encodeAnswer } from "./encoded.js";
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
/** What the "wait" handler saw of its call's cancellation. */
const cancellations: boolean[] = [];

const product = (id: string) => ({
  id,
  sku: `SKU-${id}`,
  name: "Red shoes",
  category: "shoes",
  stock: 3,
  price: { amountMinor: 4999n, currency: "EUR" },
});
/** An answer encoded before the call, as a cache would keep it. */
const encodedAnswer = encodeAnswer(GetProductResponseSchema, { product: product("encoded") });

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
        if (request.id === "encoded") return encodedAnswer;
        if (request.id === "late") {
          // Asks for its signal only after the deadline has passed.
          await sleep(150);
          cancellations.push(call.signal.aborted);
        }
        if (request.id === "wait") {
          await sleep(5_000, undefined, { signal: call.signal }).catch(() => undefined);
          cancellations.push(call.signal.aborted);
        }
        return { product: product(request.id) };
      },
      listProducts: async () => ({ products: [product("a"), product("b")], nextCursor: "c2" }),
      createProduct: async () => ({}),
      updateProduct: async () => ({}),
      reserveStock: async () => ({}),
      releaseStock: async () => ({}),
    },
    { file: file_platform_catalog_v1_catalog, logger, metrics, callers, reflection: true },
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

  it("sends an answer encoded before as it is, call after call", async () => {
    for (let i = 0; i < 2; i++) {
      const response = await client.getProduct({ id: "encoded" });
      expect(response.product?.sku).toBe("SKU-encoded");
      expect(response.product?.price?.amountMinor).toBe(4999n);
    }
    expect(fromBinary(GetProductResponseSchema, encodedAnswer.bytes).product?.id).toBe("encoded");
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

interface ReflectionResponse {
  listServicesResponse?: { service: { name: string }[] };
}

describe("the server, to other gRPC implementations (grpc-js as the client)", () => {
  const bytes = (b: Buffer) => b;
  const grpcJs = () => new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const withCaller = (request: object) => {
    const metadata = new grpc.Metadata();
    metadata.set("authorization", caller.authorization(request));
    return metadata;
  };
  const unary = (path: string, body: Buffer, metadata = new grpc.Metadata()) =>
    new Promise<{ value?: Buffer; err?: grpc.ServiceError }>((resolve) => {
      const client = grpcJs();
      client.makeUnaryRequest(path, bytes, bytes, body, metadata, (err, value) => {
        client.close();
        resolve(err ? { err } : { value: value! });
      });
    });

  it("answers a call with its message, and a refusal with its status, message and details", async () => {
    const request = { id: "p9" };
    const ok = await unary(
      "/platform.catalog.v1.CatalogService/GetProduct",
      Buffer.from(toBinary(GetProductRequestSchema, create(GetProductRequestSchema, request))),
      withCaller(request),
    );
    expect(fromBinary(GetProductResponseSchema, ok.value!).product?.name).toBe("Red shoes");
    const refused = await unary(
      "/platform.catalog.v1.CatalogService/GetProduct",
      Buffer.from(toBinary(GetProductRequestSchema, create(GetProductRequestSchema, { id: "bad" }))),
      withCaller({ id: "bad" }),
    );
    expect(refused.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refused.err?.details).toBe("id is malformed");
    expect(refused.err?.metadata.get("x-error-details")).toEqual([JSON.stringify({ id: "not a UUID" })]);
  });

  it("refuses a call without a caller token as UNAUTHENTICATED, and an unknown method as UNIMPLEMENTED", async () => {
    const body = Buffer.from(toBinary(GetProductRequestSchema, create(GetProductRequestSchema)));
    expect((await unary("/platform.catalog.v1.CatalogService/GetProduct", body)).err?.code).toBe(
      grpc.status.UNAUTHENTICATED,
    );
    expect((await unary("/platform.catalog.v1.CatalogService/DropEverything", body)).err?.code).toBe(
      grpc.status.UNIMPLEMENTED,
    );
  });

  it("serves reflection when allowed: a tool can list its services", async () => {
    const require = createRequire(import.meta.url);
    const definition = loadSync(
      require.resolve("@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto"),
      { keepCase: false, oneofs: true },
    );
    const { grpc: pkg } = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { reflection: { v1: { ServerReflection: grpc.ServiceClientConstructor } } };
    };
    const reflection = new pkg.reflection.v1.ServerReflection(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    );
    const call = (
      reflection as unknown as {
        serverReflectionInfo(): grpc.ClientDuplexStream<
          object,
          { listServicesResponse?: { service: { name: string }[] } }
        >;
      }
    ).serverReflectionInfo();
    const answer = new Promise<string[]>((resolve, reject) => {
      call.on("data", (response: ReflectionResponse) =>
        resolve(response.listServicesResponse?.service.map((s) => s.name) ?? []),
      );
      call.on("error", reject);
    });
    call.write({ listServices: "" });
    expect(await answer).toContain("platform.catalog.v1.CatalogService");
    call.end();
    reflection.close();
  });

  it("gives a handler that first asks for its signal after the deadline an aborted one", async () => {
    cancellations.length = 0;
    await expect(client.getProduct({ id: "late" }, { timeoutMs: 50 })).rejects.toMatchObject({
      code: Status.DEADLINE_EXCEEDED,
    });
    await expect.poll(() => cancellations).toEqual([true]);
    cancellations.length = 0;
  });

  it("tells the handler when its caller cancels", async () => {
    const controller = new AbortController();
    const pending = client
      .getProduct({ id: "wait" }, { signal: controller.signal })
      .catch((e: RpcError) => e.code);
    await sleep(100);
    controller.abort();
    expect(await pending).toBe(Status.CANCELLED);
    await expect.poll(() => cancellations).toEqual([true]);
  });
});

describe("stopping", () => {
  it("lets a call in flight finish, refuses new connections, and ends health watches with NOT_SERVING", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const draining = new RpcServer(
      CatalogService,
      {
        getProduct: async (request) => {
          await held;
          return { product: product(request.id) };
        },
        listProducts: async () => ({}),
        createProduct: async () => ({}),
        updateProduct: async () => ({}),
        reserveStock: async () => ({}),
        releaseStock: async () => ({}),
      },
      { file: file_platform_catalog_v1_catalog, logger, metrics, callers, reflection: false },
    );
    const at = await draining.listen("127.0.0.1", 0);
    const drainingClient = createClient(CatalogService, `127.0.0.1:${at}`, { timeoutMs: 5_000, caller });
    const watcher = new grpc.Client(`127.0.0.1:${at}`, grpc.credentials.createInsecure());
    const statuses: number[] = [];
    const watch = watcher.makeServerStreamRequest(
      "/grpc.health.v1.Health/Watch",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
    );
    // HealthCheckResponse { status }: field 1, a varint: 1 SERVING, 2 NOT_SERVING.
    watch.on("data", (b: Buffer) => statuses.push(b[1]!));
    watch.on("error", () => undefined);
    await expect.poll(() => statuses).toEqual([1]);

    const inFlight = drainingClient.getProduct({ id: "last" });
    await sleep(50);
    const stopped = draining.stopAccepting();
    release();
    expect((await inFlight).product?.id).toBe("last");
    await stopped;
    expect(statuses).toEqual([1, 2]);
    const late = createClient(CatalogService, `127.0.0.1:${at}`, { timeoutMs: 1_000, caller });
    await expect(late.getProduct({ id: "x" })).rejects.toMatchObject({ code: Status.UNAVAILABLE });
    late.close();
    drainingClient.close();
    watcher.close();
  });
});
