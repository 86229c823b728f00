/**
 * An open-loop load generator: requests leave at a fixed rate whether or not earlier ones
 * were answered (wrk cannot do this; wrk2 is not in Debian). A request that finds every
 * connection busy waits in a backlog, and that wait counts in its latency, so a server
 * that falls behind shows it (no coordinated omission). Latency starts when the generator
 * took the request up (its timer ticks every millisecond or so), not at the exact
 * instant it was due: the tick's own lateness is the generator's, not the server's, and
 * is reported apart. Plain node:net sockets and a minimal response reader keep its own
 * CPU, taken from the same two cores, small.
 *
 * usage: node --import tsx scripts/bench/open-loop.ts '{"url", "headers", "rate", "connections", "warmupSeconds", "seconds", "orders"?}'
 */
import { connect, type Socket } from "node:net";
import { ResponseReader } from "./http-response.js";
import { generatorProtocol } from "./measurement.js";
import { idempotencyKey, orderBody } from "./requests.js";
import { LatencyRecorder } from "./stats.js";

export interface OpenLoopConfig {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Requests per second. */
  readonly rate: number;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
  /** Instead of GET `url`: POST a new order to `url` each time, its keys under this prefix. */
  readonly orders?: { readonly keyPrefix: string };
}

/** A request taken up by a tick: when it was due, and when the generator took it up. */
interface Pending {
  readonly due: number;
  readonly taken: number;
}

interface Connection {
  readonly socket: Socket;
  readonly reader: ResponseReader;
  /** The request in flight, and when it was written. */
  pending: Pending;
  sent: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as OpenLoopConfig;
const url = new URL(config.url);
const head = `${config.orders ? "POST" : "GET"} ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${Object.entries(
  config.headers,
)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join("")}`;
const get = Buffer.from(`${head}\r\n`);
let sequence = 0;
/** The next request: the same GET every time, or the next order. */
function nextRequest(): Buffer | string {
  if (!config.orders) return get;
  const n = sequence++;
  const body = orderBody(n);
  return `${head}Content-Type: application/json\r\nIdempotency-Key: ${idempotencyKey(config.orders.keyPrefix, n)}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const latency = new LatencyRecorder();
const serviceTime = new LatencyRecorder();
const tickLateness = new LatencyRecorder();
const idle: Connection[] = [];
/** Requests waiting for a free connection. */
const backlog: Pending[] = [];
let backlogHead = 0;
let maxBacklog = 0;
/** When the backlog was longest, in seconds from the start of the measurement. */
let maxBacklogAt = 0;
let errors = 0;
let completed = 0;
let outstanding = 0;

const start = performance.now() + 100;
const measureFrom = start + config.warmupSeconds * 1000;
const end = measureFrom + config.seconds * 1000;
const total = Math.floor(((end - start) / 1000) * config.rate);
let scheduled = 0;
let measuring = false;
let cpuAtMeasure = process.cpuUsage();

function send(connection: Connection, pending: Pending): void {
  connection.pending = pending;
  connection.sent = performance.now();
  outstanding++;
  connection.socket.write(nextRequest());
}

function answered(connection: Connection, status: number): void {
  const now = performance.now();
  outstanding--;
  const { due, taken } = connection.pending;
  if (due >= measureFrom && due < end) {
    completed++;
    if (status >= 400) errors++;
    latency.record(now - taken);
    serviceTime.record(now - connection.sent);
    tickLateness.record(taken - due);
  }
  if (backlogHead < backlog.length) send(connection, backlog[backlogHead++]!);
  else idle.push(connection);
}

function open(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    const connection: Connection = {
      socket,
      reader: new ResponseReader(),
      pending: { due: 0, taken: 0 },
      sent: 0,
    };
    socket.once("connect", () => {
      idle.push(connection);
      resolve();
    });
    socket.on("data", (chunk: Buffer) => {
      for (const status of connection.reader.push(chunk)) answered(connection, status);
    });
    socket.on("error", (err) => {
      errors++;
      reject(err);
    });
  });
}

/** Every millisecond or so: send what has come due, on a free connection or into the backlog. */
function tick(): void {
  const now = performance.now();
  if (!measuring && now >= measureFrom) {
    measuring = true;
    cpuAtMeasure = process.cpuUsage();
    generatorProtocol.measuring();
  }
  const due = Math.min(total, Math.floor(((now - start) / 1000) * config.rate));
  for (; scheduled < due; scheduled++) {
    const pending = { due: start + (scheduled * 1000) / config.rate, taken: now };
    const connection = idle.pop();
    if (connection) send(connection, pending);
    else {
      backlog.push(pending);
      if (measuring && backlog.length - backlogHead > maxBacklog) {
        maxBacklog = backlog.length - backlogHead;
        maxBacklogAt = (now - measureFrom) / 1000;
      }
    }
  }
  if (scheduled < total) setTimeout(tick, 1);
  else finish();
}

function finish(): void {
  const drained = performance.now() + 5_000;
  const wait = () => {
    if (outstanding > 0 && performance.now() < drained) return void setTimeout(wait, 5);
    const cpu = process.cpuUsage(cpuAtMeasure);
    const summary = latency.summary();
    const service = serviceTime.summary();
    const lateness = tickLateness.summary();
    generatorProtocol.result({
      requestsPerSecond: completed / config.seconds,
      requests: completed,
      errors: errors + outstanding,
      latency: summary,
      generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
      extra: {
        targetRate: config.rate,
        maxBacklog,
        maxBacklogAt,
        serviceP50: service.p50,
        serviceP95: service.p95,
        serviceP99: service.p99,
        tickLatenessP50: lateness.p50,
        tickLatenessP99: lateness.p99,
        tickLatenessMax: lateness.max,
      },
    });
    for (const connection of idle) connection.socket.destroy();
    process.exit(0);
  };
  wait();
}

await Promise.all(Array.from({ length: config.connections }, open));
setTimeout(tick, Math.max(0, start - performance.now()));
