import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generateSecret } from "../../contracts/service-spec.js";
import { type KeyEncryptionKey, open, parseKeyEncryptionKey, seal } from "./sealing.js";

const kek = parseKeyEncryptionKey(randomBytes(32).toString("base64"))!;
const secret = Buffer.from("the private key, 32 bytes long!!");

describe("sealing secrets under the key-encryption key", () => {
  it("opens what it sealed, and the sealed bytes do not contain the secret", () => {
    const sealed = seal(kek, secret, "kid-1");
    expect(sealed.includes(secret)).toBe(false);
    expect(open(kek, sealed, "kid-1")).toEqual(secret);
  });

  it("seals the same secret differently each time (a fresh nonce)", () => {
    expect(seal(kek, secret, "kid-1")).not.toEqual(seal(kek, secret, "kid-1"));
  });

  it("refuses a sealed value moved to another row", () => {
    expect(() => open(kek, seal(kek, secret, "kid-1"), "kid-2")).toThrow();
  });

  it("refuses another KEK and a flipped byte", () => {
    const sealed = seal(kek, secret, "kid-1");
    const otherKek = parseKeyEncryptionKey(randomBytes(32).toString("base64")) as KeyEncryptionKey;
    expect(() => open(otherKek, sealed, "kid-1")).toThrow();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 1;
    expect(() => open(kek, tampered, "kid-1")).toThrow();
  });

  it("accepts only 32 bytes of base64 as a KEK", () => {
    expect(parseKeyEncryptionKey(randomBytes(31).toString("base64"))).toBeUndefined();
    expect(parseKeyEncryptionKey("not base64 at all, but long enough to be 32 bytes")).toBeUndefined();
    expect(parseKeyEncryptionKey(randomBytes(32).toString("base64"))?.length).toBe(32);
  });

  it("accepts what the registry's key-256-base64 generator makes (the program's and local mode's KEKs)", () => {
    expect(parseKeyEncryptionKey(generateSecret("key-256-base64"))).toBeDefined();
  });
});
