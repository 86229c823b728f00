import { describe, expect, it } from "vitest";
import { parseWrk, wrkScript } from "./wrk.js";

/** What wrk 4.1 printed for a two-second run with `wrkScript`'s done hook. */
const output = `Running 2s test @ http://127.0.0.1:18293/v1/products/x
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   710.33us    1.62ms  20.60ms   94.32%
    Req/Sec    27.64k     7.53k   34.36k    90.00%
  Latency Distribution
     50%  284.00us
     75%  380.00us
     90%    1.12ms
     99%    9.86ms
  54958 requests in 2.00s, 9.43MB read
  Non-2xx or 3xx responses: 12
Requests/sec:  27446.12
Transfer/sec:      4.71MB
bench-summary requests=54958 duration_us=2002396 connect=1 read=2 write=0 status=12 timeout=3
bench-latency-us p50=284 p95=2682 p99=9864 max=20599
`;

describe("parseWrk", () => {
  const result = parseWrk(output);

  it("computes the rate from the exact request count and duration", () => {
    expect(result.requests).toBe(54958);
    expect(result.requestsPerSecond).toBeCloseTo(27446.1, 0);
  });

  it("reads p50, p95 and p99 from the done hook, in milliseconds", () => {
    expect(result.latency).toEqual({ p50: 0.284, p95: 2.682, p99: 9.864, max: 20.599 });
  });

  it("counts error statuses apart from socket errors and timeouts", () => {
    expect([result.badStatus, result.socketErrors]).toEqual([12, 6]);
  });

  it("fails, showing the output, when the script's lines are missing", () => {
    expect(() => parseWrk("Requests/sec: 1\n")).toThrow(/no "bench-summary" line.*Requests\/sec/s);
  });
});

describe("wrkScript", () => {
  it("sets each header and prints p95, which --latency leaves out", () => {
    const script = wrkScript({ Authorization: "Bearer a.b.c" });
    expect(script).toContain('wrk.headers["Authorization"] = "Bearer a.b.c"');
    expect(script).toContain("latency:percentile(95)");
  });

  it("escapes quotes and refuses what cannot be a header value", () => {
    expect(wrkScript({ X: 'say "hi"' })).toContain('wrk.headers["X"] = "say \\"hi\\""');
    expect(() => wrkScript({ X: "line\nbreak" })).toThrow(/printable ASCII/);
  });
});
