import { type DaemonSpec, livePid, portOpen, rotateLog, startDaemon, waitUntil } from "./process.js";
import { step } from "./progress.js";

/** A server the platform runs on loopback for tests and `npm start`. */
export interface LocalServer {
  readonly name: string;
  /** Installs or downloads what it needs; idempotent, quick when already done. */
  install(): Promise<void>;
  /** Starts it unless it already runs, and resolves once it is healthy. */
  start(): Promise<void>;
  /** Stops it if this checkout started it; resolves true if something was stopped. */
  stop(): Promise<boolean>;
  /** The pid of the running server, if this checkout runs one. */
  pid(): number | undefined;
  healthy(): Promise<boolean>;
  /** Environment variables that point a client at it. */
  connection(): Record<string, string>;
}

/** A port from `PLATFORM_<NAME>_PORT`, or the default. */
export function portFromEnv(name: string, fallback: number): number {
  const key = `PLATFORM_${name.toUpperCase()}_PORT`;
  const raw = process.env[key];
  if (raw === undefined) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`${key} must be a port number from 1024 to 65535 (got "${raw}")`);
  }
  return port;
}

/**
 * Refuses to start on a port that something else holds: talking to a stranger's server
 * would make tests pass or fail for reasons that are not ours.
 */
export async function claimPort(name: string, port: number, pidFile: string): Promise<void> {
  if (livePid(pidFile) === undefined && (await portOpen(port))) {
    throw new Error(
      `${name}: port ${port} on 127.0.0.1 is taken by another program; stop it or set PLATFORM_${name.toUpperCase()}_PORT to a free port`,
    );
  }
}

export interface ServerLaunch {
  /** The server's name in messages, e.g. "Kafka". */
  readonly what: string;
  /** The progress line, e.g. "starting Kafka 4.4.0 on 127.0.0.1:19092". */
  readonly title: string;
  /** The ports it listens on, by the name of their `PLATFORM_<NAME>_PORT` variable. */
  readonly ports: Readonly<Record<string, number>>;
  readonly pidFile: string;
  readonly logFile: string;
  readonly timeoutMs: number;
  healthy(): Promise<boolean>;
  /** Prepares its files and returns how to run it; called only when it must start. */
  prepare(): Promise<Omit<DaemonSpec, "logFile" | "pidFile">>;
}

/**
 * Starts a chatty, slow-starting server (a JVM) as a daemon and waits until it is healthy.
 * One this checkout already runs, maybe still starting from another process, is waited for
 * rather than started twice. The previous run's log is kept as `<log>.1`.
 */
export async function launchServer(s: ServerLaunch): Promise<void> {
  const running = livePid(s.pidFile);
  const wait = (pid: number) =>
    waitUntil(s.what, () => s.healthy(), {
      timeoutMs: s.timeoutMs,
      logFile: s.logFile,
      alive: () => livePid(s.pidFile) === pid,
    });
  if (running !== undefined) return wait(running);
  for (const [name, port] of Object.entries(s.ports)) await claimPort(name, port, s.pidFile);
  await step(s.title, async () => {
    const spec = await s.prepare();
    rotateLog(s.logFile);
    await wait(startDaemon({ ...spec, logFile: s.logFile, pidFile: s.pidFile }));
  });
}
