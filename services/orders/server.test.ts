import { describe, expect, it } from "vitest";
import { ConfigError } from "../runtime/config.js";
import { checkTimings } from "./server.js";

describe("orders configuration", () => {
  it("keeps recovery from racing an order still being placed", () => {
    expect(() =>
      checkTimings({ ORDERS_RESERVE_TIMEOUT_MS: 2_000, ORDERS_RECOVERY_AFTER_SECONDS: 30 }),
    ).not.toThrow();
    expect(() =>
      checkTimings({ ORDERS_RESERVE_TIMEOUT_MS: 2_000, ORDERS_RECOVERY_AFTER_SECONDS: 4 }),
    ).toThrow(ConfigError);
  });
});
