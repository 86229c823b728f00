import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import {
  CreateApiKeyRequestSchema,
  LoginRequestSchema,
  SignUpRequestSchema,
} from "../gen/platform/identity/v1/identity_pb.js";
import { ServiceError } from "../runtime/errors.js";
import { createApiKeyInput, loginInput, signUpInput } from "./requests.js";

const failure = (work: () => unknown) => {
  try {
    work();
  } catch (err) {
    if (err instanceof ServiceError) return { kind: err.kind, details: err.details };
    throw err;
  }
  throw new Error("expected a ServiceError");
};

const signUp = (fields: { email?: string; password?: string; name?: string }) =>
  signUpInput(
    create(SignUpRequestSchema, {
      email: "Ada@Example.com",
      password: "correct horse battery",
      name: "Ada",
      ...fields,
    }),
  );

describe("reading a sign-up", () => {
  it("normalises the email: trimmed and lower case", () => {
    expect(signUp({ email: "  Ada.Lovelace@Example.COM " }).email).toBe("ada.lovelace@example.com");
  });

  it("refuses a password under 12 characters, naming the field", () => {
    expect(failure(() => signUp({ password: "short pass" }))).toEqual({
      kind: "invalidArgument",
      details: { password: "at least 12 characters" },
    });
  });

  it("counts characters, not UTF-16 units", () => {
    expect(failure(() => signUp({ password: "🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑🔑" })).details).toHaveProperty("password");
  });

  it("refuses a password that is the email address, in any case", () => {
    expect(failure(() => signUp({ password: "ADA@example.com" })).details).toEqual({
      password: "must not contain the email address",
    });
  });

  it("reports every bad field at once", () => {
    expect(Object.keys(failure(() => signUp({ email: "ada", password: "x", name: " " })).details)).toEqual([
      "email",
      "password",
      "name",
    ]);
  });
});

describe("reading other requests", () => {
  it("does not apply the new-password policy at login", () => {
    const login = create(LoginRequestSchema, { email: "ADA@example.com", password: "old" });
    expect(loginInput(login)).toEqual({ email: "ada@example.com", password: "old" });
  });

  it("answers UNAUTHENTICATED when a principal is missing", () => {
    expect(failure(() => createApiKeyInput(create(CreateApiKeyRequestSchema, { name: "ci" }))).kind).toBe(
      "unauthenticated",
    );
  });

  it("answers INVALID_ARGUMENT for a principal whose user id is no UUID", () => {
    const request = create(CreateApiKeyRequestSchema, { principal: { userId: "u-1", roles: ["user"] } });
    expect(failure(() => createApiKeyInput(request))).toEqual({
      kind: "invalidArgument",
      details: { "principal.userId": "not a UUID" },
    });
  });
});
