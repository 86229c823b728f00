import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../runtime/config.js";
import { runService } from "../runtime/run-service.js";
import { bootstrapAdmin, definition } from "./server.js";

// Configuration is checked before anything is opened, so these URLs are never dialled.
const stores = { POSTGRES_URL: "postgres://127.0.0.1:1/identity", REDIS_URL: "redis://127.0.0.1:1" };

describe("identity configuration", () => {
  it("refuses to start without a key-encryption key, saying how to make one", async () => {
    await expect(runService(definition, { ...stores, LOG_LEVEL: "silent" })).rejects.toThrow(
      /IDENTITY_KEY_ENCRYPTION_KEY is required \(seals signing keys/,
    );
  });

  it("refuses a key-encryption key that is not 32 bytes of base64, without printing it", async () => {
    const short = randomBytes(16).toString("base64");
    const err = await runService(definition, { ...stores, IDENTITY_KEY_ENCRYPTION_KEY: short }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/must be 32 random bytes in base64/);
    expect(err.message).not.toContain(short);
  });

  it("wants both bootstrap admin settings or neither", () => {
    expect(bootstrapAdmin({})).toBeUndefined();
    expect(() => bootstrapAdmin({ IDENTITY_ADMIN_EMAIL: "admin@example.com" })).toThrow(ConfigError);
  });

  it("holds the bootstrap admin to the password policy", () => {
    expect(() =>
      bootstrapAdmin({ IDENTITY_ADMIN_EMAIL: "admin@example.com", IDENTITY_ADMIN_PASSWORD: "admin" }),
    ).toThrow(/at least 12 characters/);
    expect(
      bootstrapAdmin({
        IDENTITY_ADMIN_EMAIL: " Admin@Example.com",
        IDENTITY_ADMIN_PASSWORD: "a long admin password",
      }),
    ).toEqual({ email: "admin@example.com", password: "a long admin password" });
  });
});
