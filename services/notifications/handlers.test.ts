import { describe, expect, it } from "vitest";
import type { ServiceError } from "../runtime/errors.js";
import type { Logger } from "../runtime/logger.js";
import { checkedUrl } from "./handlers.js";
import { targetNotAllowed } from "./target-guard.js";

/** A logger that keeps its warnings for the test to read. */
function recordingLogger() {
  const warnings: { fields: object; message: string }[] = [];
  const logger = { warn: (fields: object, message: string) => warnings.push({ fields, message }) };
  return { warnings, logger: logger as unknown as Pick<Logger, "warn"> };
}

describe("a refused webhook url", () => {
  it("tells the caller only that the target is not allowed, and logs what our DNS answered", async () => {
    const { warnings, logger } = recordingLogger();
    const internal = {
      allowPrivate: false,
      resolve: async () => [{ address: "172.20.3.4", family: 4 as const }],
    };
    const url = "https://db.internal.example.com/hook";
    const err = (await checkedUrl(url, internal, logger, "u-1").catch((e: unknown) => e)) as ServiceError;
    expect(err).toMatchObject({
      kind: "invalidArgument",
      message: `url refused: ${targetNotAllowed}`,
      details: { url: targetNotAllowed },
    });
    expect(warnings).toEqual([
      {
        fields: {
          userId: "u-1",
          url,
          reason: "the host db.internal.example.com resolves to 172.20.3.4, a private address (RFC 1918)",
        },
        message: "webhook url refused",
      },
    ]);
  });
});
