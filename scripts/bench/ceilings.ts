/**
 * The two ceilings of this machine, each role its own process:
 *   bare     node:http answering every request with the product's JSON bytes (no hop);
 *   front    node:http forwarding each request over one raw node:http2 session, no gRPC;
 *   backend  node:http2 answering every stream with the product's JSON bytes;
 *   backend-pg  node:http2 answering with the product its path names, read from PostgreSQL
 *            by primary key (the uncached read's ceiling, behind its own front).
 * Nothing but the transport and the query: no auth, no logging, no tracing, no protobuf.
 *
 * usage: node --import tsx scripts/bench/ceilings.ts bare|front|backend|backend-pg
 * environment: PORT, BACKEND_PORT (front), BENCH_BODY (bare, backend: the JSON),
 *              DATABASE_URL (backend-pg: bench_catalog)
 */
import http from "node:http";
import http2 from "node:http2";
import pg from "pg";

const role = process.argv[2];
const port = Number(process.env["PORT"]);
const body = Buffer.from(process.env["BENCH_BODY"] ?? "{}");
const json = { "Content-Type": "application/json", "Content-Length": body.length };
const serverOptions = { keepAliveTimeout: 65_000 };

function front(backendPort: number): http.Server {
  const session = http2.connect(`http://127.0.0.1:${backendPort}`);
  return http.createServer(serverOptions, (req, res) => {
    const stream = session.request({ ":path": req.url ?? "/" }, { endStream: true });
    const chunks: Buffer[] = [];
    let status = 502;
    stream.on("response", (headers) => {
      status = Number(headers[":status"]);
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => {
      const answer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      res.writeHead(status, { "Content-Type": "application/json", "Content-Length": answer.length });
      res.end(answer);
    });
    stream.on("error", () => res.writeHead(502).end());
  });
}

function backend(): http2.Http2Server {
  const server = http2.createServer();
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/json", "content-length": body.length });
    stream.end(body);
  });
  return server;
}

/** As many connections as catalog's pool has (services/runtime/postgres.ts's default). */
function backendPg(databaseUrl: string): http2.Http2Server {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
  const server = http2.createServer();
  server.on("stream", (stream, headers) => {
    const id = String(headers[":path"]).split("/").pop();
    pool
      .query("SELECT row_to_json(p)::text AS json FROM products p WHERE id = $1", [id])
      .then(({ rows }) => {
        const answer = Buffer.from(rows[0]?.json ?? "{}");
        stream.respond({ ":status": rows[0] ? 200 : 404, "content-type": "application/json" });
        stream.end(answer);
      })
      .catch(() => {
        stream.respond({ ":status": 500 });
        stream.end();
      });
  });
  return server;
}

const server =
  role === "bare"
    ? http.createServer(serverOptions, (_req, res) => res.writeHead(200, json).end(body))
    : role === "front"
      ? front(Number(process.env["BACKEND_PORT"]))
      : role === "backend"
        ? backend()
        : role === "backend-pg"
          ? backendPg(String(process.env["DATABASE_URL"]))
          : undefined;
if (!server) throw new Error(`usage: ceilings.ts bare|front|backend|backend-pg (got ${role})`);
server.listen(port, "127.0.0.1");
