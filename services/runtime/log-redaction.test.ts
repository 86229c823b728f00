import { describe, expect, it } from "vitest";
import { redactedValue, redactSecrets } from "./log-redaction.js";

describe("redactSecrets", () => {
  it("censors secret keys at the top of a line and one level down", () => {
    expect(
      redactSecrets({
        password: "hunter2",
        token: "t",
        user: { email: "a@b.c", secret: "s", authorization: "Bearer x" },
        status: 200,
      }),
    ).toEqual({
      password: redactedValue,
      token: redactedValue,
      user: { email: "a@b.c", secret: redactedValue, authorization: redactedValue },
      status: 200,
    });
  });

  it("censors an object-valued secret whole, and one inside an error's own properties", () => {
    const err = Object.assign(new Error("refused"), { token: "t" });
    const line = redactSecrets({ authorization: { scheme: "Bearer" }, err });
    expect(line["authorization"]).toBe(redactedValue);
    expect(line["err"]).toMatchObject({ token: redactedValue });
  });

  it("returns the very object when it holds no secret, so a plain line costs no copy", () => {
    const line = { requestId: "r", method: "GET", route: "/v1/products/{id}", status: 200 };
    expect(redactSecrets(line)).toBe(line);
  });

  it("never changes the caller's objects", () => {
    const user = { id: "u", password: "p" };
    const line = { user, password: "p" };
    redactSecrets(line);
    expect(line).toEqual({ user: { id: "u", password: "p" }, password: "p" });
    expect(user.password).toBe("p");
  });

  it("leaves arrays, deeper levels and undefined secrets as pino's paths did", () => {
    const line = { list: [{ password: "p" }], a: { b: { token: "t" } }, token: undefined };
    expect(redactSecrets(line)).toBe(line);
  });
});
