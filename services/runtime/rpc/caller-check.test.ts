import { describe, expect, it } from "vitest";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../../contracts/ed25519.js";
import { generateSecret } from "../../../contracts/service-spec.js";
import { mintCallToken } from "./call-token.js";
import { CallerCheck } from "./caller-check.js";
import { CallerIdentity, callTokenLifetimeSeconds } from "./caller-identity.js";

const seeds = { gateway: generateSecret("key-256-base64"), orders: generateSecret("key-256-base64") };
const start = Date.UTC(2026, 0, 1);
let clock = start;
const now = () => clock;
const check = new CallerCheck(
  {
    service: "catalog",
    keys: new Map(
      Object.entries(seeds).map(([name, seed]) => [name, publicKeyObject(publicKeyFromSeed(seed))!]),
    ),
    principalCallers: new Set(["gateway"]),
    methodCallers: { ReserveStock: ["orders"] },
  },
  now,
);
const as = (caller: keyof typeof seeds, seed = seeds[caller]) =>
  new CallerIdentity(caller, privateKeyFromSeed(seed), now).towards("catalog");
const admin = { userId: "u-1", roles: ["user", "admin"], method: "jwt" };
const refusal = (work: () => unknown) => {
  try {
    work();
  } catch (err) {
    return { code: (err as { code: number }).code, message: (err as Error).message };
  }
  throw new Error("admitted");
};

describe("the caller check", () => {
  it("admits a known caller and takes the principal from its token", () => {
    clock = start;
    const request: { principal?: unknown } = { principal: undefined };
    const claims = check.admit("CreateProduct", as("gateway").authorization({ principal: admin }), request);
    expect(claims).toMatchObject({ iss: "gateway", aud: "catalog", principal: admin });
    expect(request.principal).toMatchObject(admin);
  });

  it("refuses a call without a token, or with one signed by another key", () => {
    expect(refusal(() => check.admit("GetProduct", undefined, {}))).toMatchObject({ code: 16 });
    const forged = as("gateway", generateSecret("key-256-base64")).authorization({});
    expect(refusal(() => check.admit("GetProduct", forged, {}))).toMatchObject({
      code: 16,
      message: "the call token's signature is not gateway's",
    });
  });

  it("refuses a token tampered with, or made for another callee", () => {
    const [header, payload, signature] = as("gateway").authorization({}).slice(7).split(".");
    const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
    const tampered = Buffer.from(JSON.stringify({ ...claims, principal: admin })).toString("base64url");
    expect(
      refusal(() => check.admit("GetProduct", `Bearer ${header}.${tampered}.${signature}`, {})),
    ).toMatchObject({
      code: 16,
    });
    const elsewhere = new CallerIdentity("gateway", privateKeyFromSeed(seeds.gateway), now).towards("orders");
    expect(refusal(() => check.admit("GetProduct", elsewhere.authorization({}), {}))).toMatchObject({
      code: 16,
      message: "the call token is for orders, not catalog",
    });
  });

  it("refuses an expired token, and one that would live too long", () => {
    clock = start;
    const token = as("gateway").authorization({ principal: { ...admin, userId: "u-expired" } });
    clock = start + (callTokenLifetimeSeconds + 31) * 1000;
    expect(refusal(() => check.admit("GetProduct", token, {}))).toMatchObject({ code: 16 });
    const iat = Math.floor(clock / 1000);
    const eternal = mintCallToken(
      { iss: "gateway", aud: "catalog", iat, exp: iat + 86_400 },
      privateKeyFromSeed(seeds.gateway),
    );
    expect(refusal(() => check.admit("GetProduct", `Bearer ${eternal}`, {}))).toMatchObject({ code: 16 });
  });

  it("keeps reserved RPCs to their callers", () => {
    clock = start;
    expect(check.admit("ReserveStock", as("orders").authorization({}), {}).iss).toBe("orders");
    expect(refusal(() => check.admit("ReserveStock", as("gateway").authorization({}), {}))).toMatchObject({
      code: 7,
      message: "ReserveStock is for orders only, not gateway",
    });
  });

  it("believes an end user's principal only from a caller that authenticates users", () => {
    expect(
      refusal(() => check.admit("CreateProduct", as("orders").authorization({ principal: admin }), {})),
    ).toMatchObject({ code: 7, message: "orders may not call on behalf of an end user" });
  });

  it("refuses a request whose principal is not the one its token vouches for", () => {
    const shopper = { userId: "u-2", roles: ["user"], method: "jwt" };
    const token = as("gateway").authorization({ principal: shopper });
    expect(refusal(() => check.admit("CreateProduct", token, { principal: admin }))).toMatchObject({
      code: 7,
    });
    const serviceOnly = as("orders").authorization({});
    expect(refusal(() => check.admit("CreateProduct", serviceOnly, { principal: admin }))).toMatchObject({
      code: 7,
    });
  });
});

describe("a caller's identity", () => {
  it("reuses a token for half its life, per callee and principal", () => {
    clock = start;
    const gateway = as("gateway");
    const first = gateway.authorization({ principal: admin });
    expect(gateway.authorization({ principal: { ...admin } })).toBe(first);
    expect(gateway.authorization({})).not.toBe(first);
    clock = start + (callTokenLifetimeSeconds / 2) * 1000;
    expect(gateway.authorization({ principal: admin })).not.toBe(first);
  });
});
