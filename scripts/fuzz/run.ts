/**
 * Fuzzing from the contract: Schemathesis reads the gateway's `/openapi.json` and sends what
 * it generates from it (examples, boundary and invalid values, random data, and sequences of
 * calls along the document's links) to the live gateway, authenticated, checking every answer
 * against the same document. Used by `test/fuzz.e2e.test.ts` (a bounded run in `npm test`)
 * and `npm run fuzz` (as long as you like).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureSchemathesis, schemathesisVersion } from "../../local/schemathesis.js";
import { routes } from "../../services/gateway/routes.js";

/**
 * What the checks hold the gateway to, from its document: no 5xx; only documented statuses,
 * content types and headers; every body valid against its response schema. (Schemathesis's
 * other checks judge API design choices the contract does not make, such as refusing unknown
 * query parameters.)
 */
export const fuzzChecks = [
  "not_a_server_error",
  "status_code_conformance",
  "content_type_conformance",
  "response_headers_conformance",
  "response_schema_conformance",
] as const;

/**
 * Settings a fuzzed platform changes from local mode. One client sends thousands of requests,
 * many with forged credentials on purpose: the limits are raised, not removed (every request
 * still runs the limiter), and kept under their own Redis prefix. Tokens outlive a long run.
 */
export const fuzzPlatformEnv = {
  gateway: {
    RATE_LIMIT_AUTH: "86400000/86400s",
    RATE_LIMIT_READ: "86400000/86400s",
    RATE_LIMIT_WRITE: "86400000/86400s",
    RATE_LIMIT_AUTH_FAILURES: "86400000/86400s",
    REDIS_KEY_PREFIX: "fuzz-gateway:",
  },
  identity: { IDENTITY_ACCESS_TOKEN_TTL_SECONDS: "14400" },
} as const satisfies Record<string, Record<string, string>>;

/** Operations that need the admin role: the route table says which. */
export const adminOperations = Object.entries(routes)
  .filter(([, route]) => route.auth === "admin")
  .map(([operationId]) => operationId)
  .sort();

export interface FuzzTokens {
  /** An ordinary user's access token, for every operation. */
  readonly user: string;
  /** An admin's, for the operations that need the role. */
  readonly admin: string;
}

export interface FuzzOptions {
  readonly gatewayUrl: string;
  readonly tokens: FuzzTokens;
  /** Cases per operation in the fuzzing phase, and call sequences in the stateful one. */
  readonly maxExamples: number;
  /** Where the configuration, the JUnit report and Schemathesis's output go. */
  readonly reportDir: string;
  readonly seed?: number;
  readonly workers?: number;
  /** Phases to run (default: all four, `examples,coverage,fuzzing,stateful`). */
  readonly phases?: readonly string[];
}

const toml = (value: string) => JSON.stringify(value);

/** `schemathesis.toml`: the user's token for every operation, the admin's for admin operations. */
export function schemathesisConfig(tokens: FuzzTokens, admin: readonly string[] = adminOperations): string {
  return [
    "# Written by scripts/fuzz/run.ts for one run; the tokens expire.",
    "color = false",
    `headers = { Authorization = ${toml(`Bearer ${tokens.user}`)} }`,
    "",
    "[generation]",
    // Each run starts from nothing: found cases live on as regression tests, not in a database.
    'database = ":memory:"',
    // The tokens above are the credentials: no made-up API key headers beside them.
    "with-security-parameters = false",
    "",
    ...admin.flatMap((operationId) => [
      "[[operations]]",
      `include-operation-id = ${toml(operationId)}`,
      `headers = { Authorization = ${toml(`Bearer ${tokens.admin}`)} }`,
      "",
    ]),
  ].join("\n");
}

/** The `schemathesis` arguments of a run. */
export function schemathesisArgs(options: FuzzOptions, configFile: string): string[] {
  return [
    "--config-file",
    configFile,
    "run",
    `${options.gatewayUrl}/openapi.json`,
    "--checks",
    fuzzChecks.join(","),
    "--max-examples",
    String(options.maxExamples),
    "--workers",
    String(options.workers ?? 1),
    "--request-timeout",
    "35",
    "--wait-for-schema",
    "30",
    "--report",
    "junit",
    "--report-dir",
    options.reportDir,
    ...(options.phases ? ["--phases", options.phases.join(",")] : []),
    ...(options.seed !== undefined ? ["--seed", String(options.seed)] : []),
  ];
}

export interface FuzzResult {
  /** 0: every check passed; 1: failures; anything else: Schemathesis could not run. */
  readonly exitCode: number;
  /** Everything Schemathesis printed. */
  readonly output: string;
  /** Its report of failures and the summary (the end of its output), for a test message. */
  readonly report: string;
  readonly seconds: number;
  readonly outputFile: string;
}

/** The failures and the summary from Schemathesis's output; all of it when it has no such section. */
export function failureReport(output: string, limit = 30_000): string {
  const start = output.search(/^=+ (FAILURES|ERRORS) =+$/m);
  const report = start < 0 ? output : output.slice(start);
  return report.length > limit ? `${report.slice(0, limit)}\n... (cut; the whole output is on disk)` : report;
}

/** Runs Schemathesis against a running gateway; its output goes to stdout too when `echo` is set. */
export async function fuzzGateway(options: FuzzOptions, echo = false): Promise<FuzzResult> {
  const binary = await ensureSchemathesis();
  mkdirSync(options.reportDir, { recursive: true });
  const configFile = join(options.reportDir, "schemathesis.toml");
  writeFileSync(configFile, schemathesisConfig(options.tokens), { mode: 0o600 });
  const outputFile = join(options.reportDir, "output.txt");
  const out = createWriteStream(outputFile);
  const started = performance.now();
  const child = spawn(binary, schemathesisArgs(options, configFile), {
    // Its example database and any other state stay in the report folder, not the checkout.
    cwd: options.reportDir,
    env: { ...process.env, NO_COLOR: "1", COLUMNS: "120", PYTHONUNBUFFERED: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    out.write(chunk);
    if (echo) process.stdout.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => rmSync(configFile, { force: true })); // it holds the tokens
  await new Promise<void>((resolve) => out.end(resolve));
  return {
    exitCode,
    output,
    report: failureReport(output),
    seconds: (performance.now() - started) / 1000,
    outputFile,
  };
}

/** Signs a new user up and logs them and the admin in, through the gateway. */
export async function fuzzTokens(
  gatewayUrl: string,
  admin: { readonly email: string; readonly password: string },
): Promise<FuzzTokens> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${gatewayUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const email = `fuzz-${randomUUID()}@fuzz.test`;
  const password = `fuzz ${randomUUID()}`;
  await post("/v1/auth/signup", { email, password, name: "Fuzz" });
  const user = await post("/v1/auth/login", { email, password });
  const adminLogin = await post("/v1/auth/login", admin);
  return { user: String(user["accessToken"]), admin: String(adminLogin["accessToken"]) };
}

export const fuzzerName = `Schemathesis ${schemathesisVersion}`;
