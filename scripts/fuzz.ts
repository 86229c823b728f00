/**
 * `npm run fuzz [-- options]`: Schemathesis against the gateway from its OpenAPI document, for
 * longer than the bounded run in `npm test`. Starts its own platform (raised rate limits, its
 * own gateway port) unless `--url` names a running gateway.
 */
import { parseArgs } from "node:util";
import { dataDir } from "../local/paths.js";
import { type RunningPlatform, startPlatform } from "../local/platform.js";
import { log } from "../local/progress.js";
import { localSecret } from "../local/secrets.js";
import { fuzzChecks, fuzzerName, fuzzGateway, fuzzPlatformEnv, fuzzTokens } from "./fuzz/run.js";

const help = `usage: npm run fuzz [-- options]

Fuzzes the gateway with ${fuzzerName} (installed from PyPI into ~/.cache/platform on first
use): the examples, coverage (boundary and invalid values), fuzzing (random data) and
stateful (call sequences along the document's links) phases, authenticated as a new user
and, for admin operations, as the admin. Checks: ${fuzzChecks.join(", ")}.
Exits 0 when every check passed, 1 with Schemathesis's report of failures otherwise.

options:
  --max-examples N   cases per operation (fuzzing) and call sequences (stateful); default 200
  --seed N           reproduce an earlier run's cases (Schemathesis prints its seed)
  --workers N        concurrent workers for the examples, coverage and fuzzing phases (default 1)
  --phases a,b       only these of examples,coverage,fuzzing,stateful
  --url URL          fuzz this running gateway (e.g. http://127.0.0.1:8080 from npm start)
                     instead of starting a platform; its rate limits stay as they are, so
                     expect 429s (documented, so not failures) to hide part of the run
  --port N           the gateway port of the platform it starts (default 18491)
  --help             this text

environment:
  PLATFORM_ADMIN_PASSWORD   the admin's password (default: this checkout's generated one)

Reports (Schemathesis's output, JUnit XML) go to <data>/fuzz/<time>/ (.local/fuzz/ by default).`;

const { values } = parseArgs({
  options: {
    "max-examples": { type: "string", default: "200" },
    seed: { type: "string" },
    workers: { type: "string", default: "1" },
    phases: { type: "string" },
    url: { type: "string" },
    port: { type: "string", default: "18491" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(help);
  process.exit(0);
}

function whole(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`);
    process.exit(2);
  }
  return n;
}

const maxExamples = whole("max-examples", values["max-examples"], 1, 1_000_000)!;
const seed = whole("seed", values.seed, 0, Number.MAX_SAFE_INTEGER);
const workers = whole("workers", values.workers, 1, 64)!;
const port = whole("port", values.port, 1024, 65535)!;
const phases = values.phases
  ?.split(",")
  .map((p) => p.trim())
  .filter(Boolean);
const known = ["examples", "coverage", "fuzzing", "stateful"];
const unknownPhase = phases?.find((p) => !known.includes(p));
if (unknownPhase) {
  console.error(`--phases: "${unknownPhase}" is not one of ${known.join(", ")}`);
  process.exit(2);
}

let platform: RunningPlatform | undefined;
let exitCode = 2;
try {
  let gatewayUrl = values.url?.replace(/\/+$/, "");
  const admin = {
    email: "admin@platform.local",
    password: process.env["PLATFORM_ADMIN_PASSWORD"] ?? localSecret("admin-password"),
  };
  if (!gatewayUrl) {
    platform = await startPlatform({
      gatewayPort: port,
      wipe: false,
      keepServers: false,
      env: fuzzPlatformEnv,
    });
    gatewayUrl = platform.gatewayUrl;
    admin.password = platform.adminPassword;
  }
  const reportDir = dataDir("fuzz", new Date().toISOString().replace(/[:.]/g, "-"));
  log(`fuzzing ${gatewayUrl} with ${fuzzerName}; output in ${reportDir}`);
  const result = await fuzzGateway(
    {
      gatewayUrl,
      tokens: await fuzzTokens(gatewayUrl, admin),
      maxExamples,
      reportDir,
      workers,
      ...(seed !== undefined ? { seed } : {}),
      ...(phases ? { phases } : {}),
    },
    true,
  );
  log(
    `${fuzzerName} exited ${result.exitCode} after ${result.seconds.toFixed(0)} s; output: ${result.outputFile}`,
  );
  exitCode = result.exitCode;
} catch (err) {
  console.error(`npm run fuzz failed: ${(err as Error).message}`);
} finally {
  await platform?.stop();
}
process.exit(exitCode);
