/**
 * Toxiproxy, the TCP proxy that adds faults (latency, cut connections) on demand, built
 * from its Go module (github.com/Shopify/toxiproxy/v2, cmd/server) the way the collector is
 * (local/collector-build.ts): once per version into `cacheDir("toxiproxy", <version>)`,
 * under a lock, then reused. Run on loopback and driven over its HTTP API.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { proxyOnly } from "../../local/collector-build.js";
import { httpOk } from "../../local/health.js";
import { withLock } from "../../local/lock.js";
import { cacheDir, dataDir } from "../../local/paths.js";
import { livePid, startDaemon, stopDaemon, waitUntil } from "../../local/process.js";
import { step } from "../../local/progress.js";
import { claimPort } from "../../local/server.js";

/** The newest version the Go module proxy serves (`go list -m -versions`). */
export const toxiproxyVersion = "2.5.0";
const module = "github.com/Shopify/toxiproxy/v2";

const binaryPath = () => cacheDir("toxiproxy", toxiproxyVersion, "toxiproxy-server");

function go(): string {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    if (spawnSync(candidate, ["version"], { encoding: "utf8" }).status === 0) return candidate;
  }
  throw new Error("building Toxiproxy needs Go on the PATH (https://go.dev/dl/); none was found");
}

/** The path of `toxiproxy-server`, built first unless this version is cached. */
export async function ensureToxiproxy(): Promise<string> {
  const binary = binaryPath();
  if (existsSync(binary)) return binary;
  const dir = cacheDir("toxiproxy", toxiproxyVersion);
  mkdirSync(dir, { recursive: true });
  await withLock(dir, async () => {
    if (existsSync(binary)) return;
    await step(`building Toxiproxy ${toxiproxyVersion} from the Go module proxy`, async () => {
      const goBinary = go();
      const env: NodeJS.ProcessEnv = { ...process.env, GOBIN: join(dir, "bin") };
      const proxy = proxyOnly(spawnSync(goBinary, ["env", "GOPROXY"], { encoding: "utf8" }).stdout ?? "");
      if (proxy) env["GOPROXY"] = proxy;
      const built = spawnSync(goBinary, ["install", `${module}/cmd/server@v${toxiproxyVersion}`], {
        encoding: "utf8",
        env,
      });
      if (built.status !== 0)
        throw new Error(`go install ${module}/cmd/server@v${toxiproxyVersion} failed:\n${built.stderr}`);
      renameSync(join(dir, "bin", "server"), binary);
      rmSync(join(dir, "bin"), { recursive: true, force: true });
    });
  });
  return binary;
}

export interface Toxic {
  readonly name: string;
  readonly type: "latency" | "timeout" | "bandwidth" | "slow_close" | "reset_peer";
  /** `downstream`: the answers (server to client); `upstream`: the requests. */
  readonly stream: "downstream" | "upstream";
  readonly attributes: Readonly<Record<string, number>>;
}

/** A running Toxiproxy server of ours, and its API. */
export class Toxiproxy {
  readonly #home = dataDir("toxiproxy");
  readonly #pidFile = join(this.#home, "toxiproxy.pid");
  readonly #logFile = join(this.#home, "toxiproxy.log");

  constructor(readonly apiPort: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async start(): Promise<void> {
    const binary = await ensureToxiproxy();
    if (livePid(this.#pidFile) !== undefined && (await httpOk(`${this.url}/version`))) return;
    await claimPort("toxiproxy", this.apiPort, this.#pidFile);
    await step(`starting Toxiproxy ${toxiproxyVersion} on 127.0.0.1:${this.apiPort}`, async () => {
      const pid = startDaemon({
        command: binary,
        args: ["-host", "127.0.0.1", "-port", String(this.apiPort)],
        logFile: this.#logFile,
        pidFile: this.#pidFile,
      });
      await waitUntil("Toxiproxy", () => httpOk(`${this.url}/version`), {
        timeoutMs: 15_000,
        logFile: this.#logFile,
        alive: () => livePid(this.#pidFile) === pid,
      });
    });
  }

  stop(): Promise<boolean> {
    return stopDaemon(this.#pidFile, 5_000);
  }

  async #api(method: string, path: string, body?: unknown): Promise<void> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      ...(body !== undefined
        ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
        : {}),
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok)
      throw new Error(`Toxiproxy ${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  }

  /** A proxy listening on 127.0.0.1:`listenPort` for `upstream` (`host:port`). */
  createProxy(name: string, listenPort: number, upstream: string): Promise<void> {
    return this.#api("POST", "/proxies", {
      name,
      listen: `127.0.0.1:${listenPort}`,
      upstream,
      enabled: true,
    });
  }

  addToxic(proxy: string, toxic: Toxic): Promise<void> {
    return this.#api("POST", `/proxies/${proxy}/toxics`, { ...toxic, toxicity: 1 });
  }

  removeToxic(proxy: string, toxic: string): Promise<void> {
    return this.#api("DELETE", `/proxies/${proxy}/toxics/${toxic}`);
  }
}

/** A URL with its host and port replaced: how a service is pointed through a proxy. */
export function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(port);
  return parsed.toString();
}
