import { describe, expect, it } from "vitest";
import { judgeRefresh, type PresentedToken } from "./refresh-tokens.js";

const now = new Date("2026-03-01T12:00:00Z");
const live: PresentedToken = {
  sessionId: "s-1",
  userId: "u-1",
  spentAt: null,
  expiresAt: new Date("2026-03-31T12:00:00Z"),
  sessionRevokedAt: null,
};

describe("judging a presented refresh token", () => {
  it("rotates a live, unspent token", () => {
    expect(judgeRefresh(live, now)).toBe("rotate");
  });

  it("calls a spent token reuse, even when it has since expired", () => {
    const spent = { ...live, spentAt: new Date("2026-02-01T00:00:00Z") };
    expect(judgeRefresh(spent, now)).toBe("reused");
    expect(judgeRefresh({ ...spent, expiresAt: new Date("2026-02-15T00:00:00Z") }, now)).toBe("reused");
  });

  it("refuses any token of a revoked session without revoking again", () => {
    const revoked = { ...live, sessionRevokedAt: new Date("2026-02-20T00:00:00Z") };
    expect(judgeRefresh(revoked, now)).toBe("revoked");
    expect(judgeRefresh({ ...revoked, spentAt: now }, now)).toBe("revoked");
  });

  it("refuses an expired token from its expiry instant on", () => {
    expect(judgeRefresh({ ...live, expiresAt: now }, now)).toBe("expired");
  });

  it("does not know a token the database does not hold", () => {
    expect(judgeRefresh(undefined, now)).toBe("unknown");
  });
});
