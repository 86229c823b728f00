/**
 * The little of HTTP/1.1 the open-loop generator needs: find where each response on a
 * keep-alive connection ends (headers, then Content-Length bytes) and its status. Parsing
 * no more than that keeps the generator's CPU, which the gateway shares, small.
 */
export class ResponseReader {
  #buffer: Buffer = Buffer.alloc(0);
  /** Body bytes still to come for the response whose headers were read; -1 between responses. */
  #remaining = -1;
  #status = 0;

  /** Feeds bytes from the socket; returns the status of every response completed by them. */
  push(chunk: Buffer): number[] {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const done: number[] = [];
    for (;;) {
      if (this.#remaining < 0) {
        const end = this.#buffer.indexOf("\r\n\r\n");
        if (end < 0) return done;
        const head = this.#buffer.toString("latin1", 0, end);
        this.#status = statusOf(head);
        this.#remaining = contentLength(head);
        this.#buffer = this.#buffer.subarray(end + 4);
      }
      if (this.#buffer.length < this.#remaining) return done;
      this.#buffer = this.#buffer.subarray(this.#remaining);
      this.#remaining = -1;
      done.push(this.#status);
    }
  }
}

function statusOf(head: string): number {
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  if (!status) throw new Error(`not an HTTP/1.1 response: ${JSON.stringify(head.slice(0, 40))}`);
  return Number(status[1]);
}

function contentLength(head: string): number {
  if (/\r\ntransfer-encoding:/i.test(head))
    throw new Error("chunked responses are not supported; the services send Content-Length");
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return length ? Number(length[1]) : 0;
}
