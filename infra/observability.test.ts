import { describe, expect, it } from "vitest";
import { grafanaAdmin } from "./observability.js";

describe("grafanaAdmin", () => {
  it("reads `user:password`, keeping colons inside the password", () => {
    expect(grafanaAdmin("ops:pa:ss")).toEqual({ user: "ops", password: "pa:ss" });
  });

  it("takes a bare value as the admin user's password", () => {
    expect(grafanaAdmin("just-a-password")).toEqual({ user: "admin", password: "just-a-password" });
  });
});
