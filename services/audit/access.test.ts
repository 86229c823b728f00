import { describe, expect, it } from "vitest";
import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import { reader, requireActorReader, requireEntityReader } from "./access.js";

const principal = (userId: string, roles = ["user"]) => ({ userId, roles, method: "jwt" }) as Principal;
const admin = reader(principal("u-admin", ["user", "admin"]));
const alice = reader(principal("u-alice"));
const order = { entityType: "order", entityId: "o-1" };
const ownedBy = (owner: string | undefined) => async () => owner;

describe("who reads the audit trail", () => {
  it("needs a principal", () => {
    expect(() => reader(undefined)).toThrow(expect.objectContaining({ kind: "unauthenticated" }));
  });

  it("lets the owner and admins read an owned entity, nobody else", async () => {
    await expect(requireEntityReader(alice, order, ownedBy("u-alice"))).resolves.toBeUndefined();
    await expect(requireEntityReader(admin, order, ownedBy("u-alice"))).resolves.toBeUndefined();
    await expect(
      requireEntityReader(reader(principal("u-bob")), order, ownedBy("u-alice")),
    ).rejects.toMatchObject({
      kind: "permissionDenied",
    });
  });

  it("lets a user read their own user entity without an owner lookup", async () => {
    const lookup = async () => {
      throw new Error("not needed");
    };
    await expect(
      requireEntityReader(alice, { entityType: "user", entityId: "u-alice" }, lookup),
    ).resolves.toBeUndefined();
  });

  it("keeps entities without an owner, such as products, for admins", async () => {
    const product = { entityType: "product", entityId: "p-1" };
    await expect(requireEntityReader(alice, product, ownedBy(undefined))).rejects.toMatchObject({
      kind: "permissionDenied",
    });
    await expect(requireEntityReader(admin, product, ownedBy(undefined))).resolves.toBeUndefined();
  });

  it("lets an actor read their own actions, admins anyone's", () => {
    expect(() => requireActorReader(alice, "u-alice")).not.toThrow();
    expect(() => requireActorReader(admin, "u-alice")).not.toThrow();
    expect(() => requireActorReader(alice, "u-bob")).toThrow(
      expect.objectContaining({ kind: "permissionDenied" }),
    );
  });
});
