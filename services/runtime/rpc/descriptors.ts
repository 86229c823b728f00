import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  fromBinary,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import type { GenFile } from "@bufbuild/protobuf/codegenv2";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";

/** The gRPC path of a method, e.g. `/platform.catalog.v1.CatalogService/GetProduct`. */
export const methodPath = (method: DescMethod) => `/${method.parent.typeName}/${method.name}`;

/**
 * Binary protobuf both ways: what gRPC carries in each frame. Handlers may return plain
 * objects; they are completed into messages (defaults for unset fields) before encoding.
 */
export function codec<T extends DescMessage>(schema: T) {
  return {
    encode: (message: MessageInitShape<T>) =>
      toBinary(schema, "$typeName" in message ? (message as never) : create(schema, message)),
    decode: (bytes: Uint8Array) => fromBinary(schema, bytes),
  };
}

/** Every file a service's file needs, dependencies first: the descriptor set reflection serves. */
export function descriptorSet(file: GenFile): Uint8Array {
  const files: GenFile[] = [];
  const visit = (f: GenFile) => {
    if (files.includes(f)) return;
    for (const dependency of f.dependencies) visit(dependency);
    files.push(f);
  };
  visit(file);
  return toBinary(
    FileDescriptorSetSchema,
    create(FileDescriptorSetSchema, { file: files.map((f) => f.proto) }),
  );
}

export type { DescService };
