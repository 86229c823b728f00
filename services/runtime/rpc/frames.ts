/**
 * gRPC's length-prefixed message framing over HTTP/2: one byte compressed flag, four
 * bytes big-endian length, then the protobuf bytes.
 */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(5 + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The single message of a unary response body, or an error naming what is wrong. */
export function decodeSingleFrame(body: Buffer): Uint8Array {
  if (body.length < 5) throw new Error(`truncated gRPC frame (${body.length} bytes)`);
  if (body[0] !== 0) throw new Error("compressed gRPC frames are not accepted");
  const length = body.readUInt32BE(1);
  if (body.length !== 5 + length)
    throw new Error(`gRPC frame length ${length} does not match body of ${body.length - 5} bytes`);
  return body.subarray(5);
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
export function decodeGrpcMessage(raw: string | undefined): string {
  if (!raw) return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
