import { describe, expect, it } from "vitest";
import { z } from "zod";
import { unknownZone } from "../../contracts/telemetry-schema.js";
import { ConfigError, loadConfig, port, postgresUrl, redisUrl, runtimeEnv } from "./config.js";

const schema = z.object({
  POSTGRES_URL: postgresUrl.describe("the service's database"),
  REDIS_URL: redisUrl.optional(),
  PORT: port.default(50051),
});

describe("loadConfig", () => {
  it("parses and coerces valid values, applying defaults", () => {
    const config = loadConfig(schema, { POSTGRES_URL: "postgres://u:p@db:5432/app" });
    expect(config).toEqual({ POSTGRES_URL: "postgres://u:p@db:5432/app", PORT: 50051 });
  });

  it("names the variable, the reason and the value", () => {
    expect(() => loadConfig(schema, { POSTGRES_URL: "localhost" })).toThrow(
      'POSTGRES_URL not a valid postgres:// URL (the service\'s database); got "localhost"',
    );
  });

  it("hides a password inside a URL", () => {
    try {
      loadConfig(schema, { POSTGRES_URL: "postgres://u:p@db/app", REDIS_URL: "http://:hunter2@cache:6379" });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain("REDIS_URL not a valid redis://");
      expect((err as Error).message).not.toContain("hunter2");
    }
  });

  it("reports a missing variable and every other problem at once", () => {
    try {
      loadConfig(schema, { PORT: "99999" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/POSTGRES_URL is required .*; got unset/);
      expect((err as Error).message).toMatch(/PORT .*; got "99999"/);
    }
  });
});

describe("runtimeEnv", () => {
  it("reports the telemetry contract's unknown zone when ZONE is unset, for the collector to fill in", () => {
    expect(loadConfig(runtimeEnv, {}).ZONE).toBe(unknownZone);
  });
});
