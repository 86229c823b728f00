import { describe, expect, it } from "vitest";
import { privateKeyFromSeed, publicKeyFromSeed, publicKeyObject } from "../../contracts/ed25519.js";
import { generateSecret } from "../../contracts/service-spec.js";
import { headSignedBy, signedText, signHead } from "./head.js";

const seed = generateSecret("key-256-base64");
const key = { privateKey: privateKeyFromSeed(seed), publicKey: publicKeyFromSeed(seed) };
const head = { sequence: "42", hash: "a".repeat(64) };
const at = new Date("2026-01-01T00:00:00Z");

describe("a published head", () => {
  it("is signed over a versioned text any tool can rebuild", () => {
    const signed = signHead(head, key, at);
    expect(signedText(signed)).toBe(
      `platform.audit.head.v1\n42\n${"a".repeat(64)}\n2026-01-01T00:00:00.000Z`,
    );
    expect(signed.publicKey).toBe(key.publicKey);
    expect(headSignedBy(signed, publicKeyObject(key.publicKey)!)).toBe(true);
  });

  it("is refused when any field changed, or when another key signed it", () => {
    const signed = signHead(head, key, at);
    const verifier = publicKeyObject(key.publicKey)!;
    expect(headSignedBy({ ...signed, sequence: "43" }, verifier)).toBe(false);
    expect(headSignedBy({ ...signed, hash: "b".repeat(64) }, verifier)).toBe(false);
    const other = generateSecret("key-256-base64");
    const forged = signHead(head, { privateKey: privateKeyFromSeed(other), publicKey: key.publicKey }, at);
    expect(headSignedBy(forged, verifier)).toBe(false);
  });
});
