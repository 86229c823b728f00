import { describe, expect, it } from "vitest";
import { adminOperations, failureReport, schemathesisArgs, schemathesisConfig } from "./run.js";

describe("the Schemathesis run", () => {
  it("sends the admin's token to the operations the route table reserves for admins, the user's to the rest", () => {
    const config = schemathesisConfig({ user: "user-token", admin: "admin-token" }, ["createProduct"]);
    expect(config).toMatch(/^headers = \{ Authorization = "Bearer user-token" \}$/m);
    expect(config).toContain(
      '[[operations]]\ninclude-operation-id = "createProduct"\nheaders = { Authorization = "Bearer admin-token" }',
    );
    expect(adminOperations).toEqual(["createProduct", "traceHistory", "updateProduct", "verifyAuditChain"]);
  });

  it("puts top-level settings before any table, where TOML would read them as the table's", () => {
    const config = schemathesisConfig({ user: "u", admin: "a" });
    expect(config.indexOf("headers =")).toBeLessThan(config.indexOf("["));
  });

  it("fuzzes the served document with the contract's checks, a bound and a seed", () => {
    const args = schemathesisArgs(
      {
        gatewayUrl: "http://127.0.0.1:18490",
        tokens: { user: "u", admin: "a" },
        maxExamples: 25,
        reportDir: "/tmp/r",
        seed: 13,
      },
      "/tmp/r/schemathesis.toml",
    );
    expect(args.slice(0, 4)).toEqual([
      "--config-file",
      "/tmp/r/schemathesis.toml",
      "run",
      "http://127.0.0.1:18490/openapi.json",
    ]);
    expect(args.join(" ")).toContain(
      "--checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
    );
    expect(args.join(" ")).toContain("--max-examples 25");
    expect(args.join(" ")).toContain("--seed 13");
  });

  it("reports from the failures section on, or everything when there is none", () => {
    const output =
      "header\nprogress\n=================== FAILURES ===================\nGET /x\n== SUMMARY ==\n";
    expect(failureReport(output)).toBe(
      "=================== FAILURES ===================\nGET /x\n== SUMMARY ==\n",
    );
    expect(failureReport("could not load the schema")).toBe("could not load the schema");
  });
});
