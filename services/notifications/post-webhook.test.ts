import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { postWebhook } from "./post-webhook.js";
import { checkTarget, type Resolver } from "./target-guard.js";

interface Received {
  readonly request: IncomingMessage;
  readonly body: string;
}

let server: Server | undefined;

afterEach(async () => {
  const open = server;
  server = undefined;
  open?.closeAllConnections();
  if (open?.listening) await new Promise((resolve) => open.close(resolve));
});

/** A receiver on loopback that answers with `answer` and records what it got. */
async function receiver(answer: (res: import("node:http").ServerResponse) => void) {
  const received: Received[] = [];
  server = createServer((request, res) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      received.push({ request, body });
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as AddressInfo).port, received };
}

// A name no real DNS answers: only the pinned address can make the connection work.
const pinnedTo127: Resolver = async () => [{ address: "127.0.0.1", family: 4 }];
const target = (port: number, path = "/hook") =>
  checkTarget(`http://hooks.invalid:${port}${path}`, { allowPrivate: true, resolve: pinnedTo127 });

describe("posting a delivery", () => {
  it("connects to the checked address, keeps the URL's host and path, and reports the status", async () => {
    const { port, received } = await receiver((res) => res.writeHead(204).end());
    const outcome = await postWebhook({
      target: await target(port, "/in?x=1"),
      body: '{"a":1}',
      headers: { "content-type": "application/cloudevents+json", "webhook-id": "d-1" },
      timeoutMs: 2_000,
    });
    expect(outcome).toEqual({ statusCode: 204 });
    expect(received).toHaveLength(1);
    const [{ request, body }] = received as [Received];
    expect(request.method).toBe("POST");
    expect(request.url).toBe("/in?x=1");
    expect(request.headers).toMatchObject({
      host: `hooks.invalid:${port}`,
      "content-type": "application/cloudevents+json",
      "webhook-id": "d-1",
      "content-length": "7",
    });
    expect(body).toBe('{"a":1}');
  });

  it("does not follow a redirect: the 3xx is the outcome", async () => {
    const { port, received } = await receiver((res) =>
      res.writeHead(307, { location: "http://169.254.169.254/latest/meta-data/" }).end(),
    );
    const outcome = await postWebhook({
      target: await target(port),
      body: "{}",
      headers: {},
      timeoutMs: 2_000,
    });
    expect(outcome).toEqual({ statusCode: 307 });
    expect(received).toHaveLength(1);
  });

  it("gives up after the timeout when the receiver does not answer", async () => {
    const { port } = await receiver(() => undefined);
    const started = Date.now();
    const outcome = await postWebhook({
      target: await target(port),
      body: "{}",
      headers: {},
      timeoutMs: 150,
    });
    expect(outcome).toEqual({ error: "no response within 150 ms" });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("reports a refused connection as an error", async () => {
    const { port } = await receiver((res) => res.end());
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const outcome = await postWebhook({
      target: await target(port),
      body: "{}",
      headers: {},
      timeoutMs: 2_000,
    });
    expect(outcome).toEqual({ error: expect.stringMatching(/ECONNREFUSED 127\.0\.0\.1/) });
  });
});
