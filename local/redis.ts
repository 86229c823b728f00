import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDebianPackages } from "./apt.js";
import { dataDir } from "./paths.js";
import { livePid, startDaemon, stopDaemon, waitUntil } from "./process.js";
import { step } from "./progress.js";
import { claimPort, type LocalServer, portFromEnv } from "./server.js";

const home = dataDir("redis");
const pidFile = join(home, "redis.pid");
const logFile = join(home, "redis.log");
const passwordFile = join(home, "password");
const port = () => portFromEnv("redis", 16379);

function password(): string {
  if (!existsSync(passwordFile)) {
    mkdirSync(home, { recursive: true });
    writeFileSync(passwordFile, `${randomBytes(18).toString("base64url")}\n`, { mode: 0o600 });
  }
  return readFileSync(passwordFile, "utf8").trim();
}

/** Redis from Debian's packages on 127.0.0.1, password-protected like production, not persisted. */
export const redis: LocalServer = {
  name: "redis",
  async install() {
    ensureDebianPackages(["redis-server"]);
  },
  async start() {
    if (livePid(pidFile) !== undefined && (await this.healthy())) return;
    await claimPort("redis", port(), pidFile);
    await step(`starting Redis on 127.0.0.1:${port()}`, async () => {
      const pid = startDaemon({
        command: "redis-server",
        args: [
          "--bind",
          "127.0.0.1",
          "--port",
          String(port()),
          "--dir",
          home,
          "--save",
          "",
          "--appendonly",
          "no",
          "--daemonize",
          "no",
          "--requirepass",
          password(),
          "--maxclients",
          "2000",
        ],
        logFile,
        pidFile,
      });
      await waitUntil("Redis", () => this.healthy(), {
        timeoutMs: 15_000,
        logFile,
        alive: () => livePid(pidFile) === pid,
      });
    });
  },
  stop: () => stopDaemon(pidFile),
  pid: () => livePid(pidFile),
  async healthy() {
    const ping = spawnSync(
      "redis-cli",
      ["-h", "127.0.0.1", "-p", String(port()), "--no-auth-warning", "-a", password(), "PING"],
      {
        encoding: "utf8",
      },
    );
    return ping.status === 0 && ping.stdout.trim() === "PONG";
  },
  connection() {
    return { PLATFORM_REDIS_URL: `redis://:${password()}@127.0.0.1:${port()}` };
  },
};
