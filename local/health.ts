import * as grpc from "@grpc/grpc-js";

/** True when the gRPC server at `address` answers the standard health check with SERVING. */
export function grpcServing(address: string, timeoutMs = 1_000): Promise<boolean> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      { deadline: Date.now() + timeoutMs },
      (err, value) => {
        client.close();
        // HealthCheckResponse { status = SERVING (1) }: field 1, varint 1.
        resolve(!err && value?.[0] === 0x08 && value[1] === 0x01);
      },
    );
  });
}

/** True when an HTTP endpoint answers 2xx. */
export async function httpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    return response.ok;
  } catch {
    return false;
  }
}
