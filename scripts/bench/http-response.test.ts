import { describe, expect, it } from "vitest";
import { ResponseReader } from "./http-response.js";

const response = (status: number, body: string) =>
  Buffer.from(
    `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
  );

describe("ResponseReader", () => {
  it("completes a response once its Content-Length bytes have arrived, however they are split", () => {
    const reader = new ResponseReader();
    const bytes = response(200, '{"id":"p1"}');
    expect(reader.push(bytes.subarray(0, 10))).toEqual([]);
    expect(reader.push(bytes.subarray(10, bytes.length - 1))).toEqual([]);
    expect(reader.push(bytes.subarray(bytes.length - 1))).toEqual([200]);
  });

  it("returns every response a chunk completes, in order", () => {
    const reader = new ResponseReader();
    expect(reader.push(Buffer.concat([response(200, "{}"), response(429, "[]"), response(200, "")]))).toEqual(
      [200, 429, 200],
    );
  });

  it("refuses chunked responses and what is not HTTP/1.1", () => {
    expect(() =>
      new ResponseReader().push(Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")),
    ).toThrow(/chunked/);
    expect(() => new ResponseReader().push(Buffer.from("SSH-2.0-OpenSSH\r\n\r\n"))).toThrow(/not an HTTP/);
  });
});
