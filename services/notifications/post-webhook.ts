import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { Target } from "./target-guard.js";

export interface WebhookPost {
  readonly target: Target;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
}

/** The receiver's answer, or why there was none. */
export type PostOutcome = { readonly statusCode: number } | { readonly error: string };

/** A lookup that answers every query with the checked address: the connect cannot re-resolve. */
function pinnedLookup({ address, family }: Target): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/**
 * POSTs one delivery to the address the SSRF guard checked. TLS still verifies the
 * certificate against the URL's hostname (SNI and checks use the name, only the socket is
 * pinned). A fresh connection each time (no agent), so a pooled socket opened for an
 * earlier answer is never reused. Redirects are not followed: a 3xx is a failed attempt.
 * Only the status line matters; the body is discarded unread, and the timeout covers
 * connecting, sending and the response head.
 */
export function postWebhook({ target, body, headers, timeoutMs }: WebhookPost): Promise<PostOutcome> {
  const client = target.url.protocol === "https:" ? https : http;
  const signal = AbortSignal.timeout(timeoutMs);
  return new Promise((resolve) => {
    const request = client.request(
      target.url,
      {
        method: "POST",
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
        agent: false,
        lookup: pinnedLookup(target),
        signal,
      },
      (response) => {
        resolve({ statusCode: response.statusCode ?? 0 });
        response.destroy();
      },
    );
    request.on("error", (err: NodeJS.ErrnoException) =>
      resolve({
        error: signal.aborted ? `no response within ${timeoutMs} ms` : err.message || err.code || "failed",
      }),
    );
    request.end(body);
  });
}
