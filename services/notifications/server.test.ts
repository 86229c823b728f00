import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../runtime/config.js";
import { runService } from "../runtime/run-service.js";
import { definition } from "./server.js";

// Configuration is checked before anything is opened, so these addresses are never dialled.
const base = {
  POSTGRES_URL: "postgres://127.0.0.1:1/notifications",
  KAFKA_BROKERS: "127.0.0.1:1",
  LOG_LEVEL: "silent",
};

describe("notifications configuration", () => {
  it("refuses to start without a key-encryption key, saying what it is for", async () => {
    await expect(runService(definition, base)).rejects.toThrow(
      /NOTIFICATIONS_KEY_ENCRYPTION_KEY is required \(seals webhook signing secrets/,
    );
  });

  it("refuses a key-encryption key that is not 32 bytes of base64, without printing it", async () => {
    const short = randomBytes(16).toString("base64");
    const err = (await runService(definition, { ...base, NOTIFICATIONS_KEY_ENCRYPTION_KEY: short }).catch(
      (e: unknown) => e,
    )) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/must be 32 random bytes in base64/);
    expect(err.message).not.toContain(short);
  });

  it("accepts only true or false for private targets, and names bad numbers", async () => {
    const err = (await runService(definition, {
      ...base,
      NOTIFICATIONS_KEY_ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      NOTIFICATIONS_ALLOW_PRIVATE_TARGETS: "yes",
      NOTIFICATIONS_MAX_ATTEMPTS: "0",
    }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(/NOTIFICATIONS_ALLOW_PRIVATE_TARGETS/);
    expect(err.message).toMatch(/NOTIFICATIONS_MAX_ATTEMPTS/);
  });
});
