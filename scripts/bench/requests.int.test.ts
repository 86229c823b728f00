import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureDebianPackages } from "../../local/apt.js";
import { benchProductId, idempotencyKey, luaPlaceOrders, luaWalkProducts, orderBody } from "./requests.js";
import { runWrk, wrkScript } from "./wrk.js";

/** What wrk really sends with the Lua hooks, read by a loopback server: the same requests the open loop builds. */
describe("the bench's changing requests, through real wrk", () => {
  const seen: {
    method: string;
    url: string;
    key: string | undefined;
    auth: string | undefined;
    body: string;
  }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on("end", () => {
      seen.push({
        method: req.method!,
        url: req.url!,
        key: req.headers["idempotency-key"] as string | undefined,
        auth: req.headers.authorization,
        body,
      });
      res.writeHead(200, { "Content-Length": 2 }).end("{}");
    });
  });
  const dir = mkdtempSync(join(tmpdir(), "bench-lua-"));
  let url = "";

  beforeAll(async () => {
    ensureDebianPackages(["wrk"]);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 300_000);
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = async (hook: string) => {
    seen.length = 0;
    const scriptFile = join(dir, "request.lua");
    writeFileSync(scriptFile, wrkScript({ Authorization: "Bearer t" }, hook));
    const result = await runWrk({ url, scriptFile, connections: 1, seconds: 1 });
    return { result, requests: [...seen] };
  };

  it("walks products from the first id given, never repeating one", async () => {
    const { result, requests } = await run(luaWalkProducts(1_000));
    expect(result.requests).toBeGreaterThan(10);
    // wrk calls the hook once at start-up and drops that request: the walk may begin one later.
    const first = requests[0]!.url === `/v1/products/${benchProductId(1_000)}` ? 1_000 : 1_001;
    expect(requests.map((r) => r.url)).toEqual(
      requests.map((_, i) => `/v1/products/${benchProductId(first + i)}`),
    );
    expect(requests[0]!.auth).toBe("Bearer t");
  });

  it("posts each order with its own key and the body orderBody builds", async () => {
    const { requests } = await run(luaPlaceOrders("p-1"));
    expect(requests.length).toBeGreaterThan(10);
    const first = Number(requests[0]!.key?.slice(-10));
    expect(first).toBeLessThanOrEqual(1);
    requests.slice(0, 5).forEach((r, i) => {
      const n = first + i;
      expect(r).toMatchObject({
        method: "POST",
        url: "/v1/orders",
        key: idempotencyKey("p-1", n),
        auth: "Bearer t",
      });
      expect(JSON.parse(r.body)).toEqual(JSON.parse(orderBody(n)));
    });
  });

  it("refuses a key prefix that could break the Lua string", () => {
    expect(() => luaPlaceOrders('x"); os.exit()')).toThrow(/prefix must be/);
  });
});
