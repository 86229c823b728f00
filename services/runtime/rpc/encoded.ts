import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";
import { codec } from "./descriptors.js";

/**
 * An answer already in protobuf's binary form, which the server sends as it is. A handler
 * whose answer repeats (a cached product, read thousands of times a second) encodes it once
 * and returns the bytes, instead of building and encoding the same message on every call.
 */
export class Encoded<T extends DescMessage> {
  /** Never read: it ties the bytes to their message type, so a handler cannot answer another's. */
  declare readonly schema: T;
  constructor(readonly bytes: Uint8Array) {}
}

/** `message` of `schema` encoded once, for answering many calls. */
export const encodeAnswer = <T extends DescMessage>(schema: T, message: MessageInitShape<T>) =>
  new Encoded<T>(codec(schema).encode(message));
