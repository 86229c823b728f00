import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ensureDebianPackages } from "./apt.js";
import { dataDir } from "./paths.js";
import { livePid, startDaemon, stopDaemon, waitUntil } from "./process.js";
import { step } from "./progress.js";
import { claimPort, type LocalServer, portFromEnv } from "./server.js";

const home = dataDir("postgres");
const data = join(home, "data");
const pidFile = join(home, "postgres.pid");
const logFile = join(home, "postgres.log");
const passwordFile = join(home, "superuser-password");
const port = () => portFromEnv("postgres", 15432);
const asRoot = process.getuid?.() === 0;

/** Debian's PostgreSQL binaries: the newest version under /usr/lib/postgresql. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres")))
    : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error("PostgreSQL is not installed under /usr/lib/postgresql");
  return join(root, newest, "bin");
}

/** PostgreSQL refuses to run as root; as root, run its programs as the `postgres` user. */
function asServerUser(binary: string, args: string[]): [string, string[]] {
  return asRoot
    ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", binary, ...args]]
    : [binary, args];
}

function ownDataDir(): void {
  mkdirSync(home, { recursive: true });
  if (!asRoot) return;
  const uid = Number(spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "postgres"], { encoding: "utf8" }).stdout.trim());
  chownSync(home, uid, gid);
}

function initialise(): void {
  ownDataDir();
  const password = randomBytes(18).toString("base64url");
  // initdb reads it as the postgres user; it is narrowed to the owner once the cluster exists.
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o644 });
  const [cmd, args] = asServerUser(join(binDir(), "initdb"), [
    "-D",
    data,
    "-U",
    "postgres",
    "--auth=scram-sha-256",
    `--pwfile=${passwordFile}`,
    "--encoding=UTF8",
    "--locale=C.UTF-8",
  ]);
  const result = spawnSync(cmd, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`initdb failed:\n${result.stderr || result.stdout}`);
  chmodSync(passwordFile, 0o600);
}

const password = () => readFileSync(passwordFile, "utf8").trim();

/** PostgreSQL from Debian's packages, a throwaway cluster per checkout on 127.0.0.1. */
export const postgres: LocalServer = {
  name: "postgres",
  async install() {
    ensureDebianPackages(["postgresql"]);
  },
  async start() {
    if (livePid(pidFile) !== undefined && (await this.healthy())) return;
    await claimPort("postgres", port(), pidFile);
    await step(`starting PostgreSQL on 127.0.0.1:${port()}`, async () => {
      if (!existsSync(join(data, "PG_VERSION"))) initialise();
      const [cmd, args] = asServerUser(join(binDir(), "postgres"), [
        "-D",
        data,
        "-p",
        String(port()),
        "-k",
        home,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "synchronous_commit=off",
        "-c",
        "full_page_writes=off",
        "-c",
        "max_connections=300",
      ]);
      const pid = startDaemon({ command: cmd, args, logFile, pidFile });
      await waitUntil("PostgreSQL", () => this.healthy(), {
        timeoutMs: 30_000,
        logFile,
        alive: () => livePid(pidFile) === pid,
      });
    });
  },
  // SIGINT is PostgreSQL's fast shutdown: it does not wait for clients to disconnect.
  stop: () => stopDaemon(pidFile, 15_000, "SIGINT"),
  pid: () => livePid(pidFile),
  async healthy() {
    const check = spawnSync("pg_isready", ["-q", "-h", "127.0.0.1", "-p", String(port())]);
    return check.status === 0;
  },
  connection() {
    return { PLATFORM_POSTGRES_URL: `postgres://postgres:${password()}@127.0.0.1:${port()}/postgres` };
  },
};
