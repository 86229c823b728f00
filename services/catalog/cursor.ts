import { invalidArgument } from "../runtime/errors.js";
import type { ListPosition } from "./products.js";

/** Opaque listing cursors: the keyset position, base64url JSON. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition | undefined {
  if (!cursor) return undefined;
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, "base64url").toString()) as [unknown, unknown];
    if (
      typeof createdAt === "string" &&
      !Number.isNaN(Date.parse(createdAt)) &&
      typeof id === "string" &&
      isUuid(id)
    ) {
      return { createdAt, id };
    }
  } catch {
    // fall through to the error below
  }
  throw invalidArgument("the cursor is not one this API returned", { cursor: "malformed" });
}

export const isUuid = (id: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
