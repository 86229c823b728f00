/**
 * OpenSearch from Maven Central: the integ-test distribution (no bundled JDK, no security
 * plugin, plain HTTP), one node on 127.0.0.1 per checkout, its config, data, logs and temp
 * files in `dataDir("opensearch")`.
 *
 * Where things live: the zip, as downloaded and verified, in `cacheDir("opensearch",
 * <version>)` (shared by checkouts, kept by CI). OpenSearch refuses to run as root, so as
 * root it runs as the system user `opensearch`, which cannot read under /root (mode 0700):
 * as root the distribution is unpacked into /var/cache/platform/opensearch/<version>
 * (root-owned, readable by all, never written at run time); as anyone else, beside the zip
 * in the cache, and the server runs as that user.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { findJavaHome } from "./java.js";
import { withLock } from "./lock.js";
import { dependencyPlugin, ensureDownloadTools, runMaven } from "./maven.js";
import { cacheDir, dataDir } from "./paths.js";
import { livePid, stopDaemon } from "./process.js";
import { log, step } from "./progress.js";
import { type LocalServer, launchServer, portFromEnv } from "./server.js";

export const opensearchVersion = "3.8.0";
const artifact = `org.opensearch.distribution.integ-test-zip:opensearch:${opensearchVersion}:zip`;
/** Of the zip whose SHA-1 matched Central's (52ef610f93d6c50ac60b8edae4e6f940bdbb73b0). */
const zipSha256 = "196c3cf4602c394f2e40e6174ccbf2a924eae37246f08fa6bbb6b75f9fd5ff1f";
/** The system user it runs as when we are root. */
export const serverUser = "opensearch";

const asRoot = process.getuid?.() === 0;
const cache = cacheDir("opensearch", opensearchVersion);
const zipFile = join(cache, `opensearch-${opensearchVersion}.zip`);

/** Where the distribution is unpacked: somewhere the user that runs it can read. */
export function distributionParent(root: boolean, cacheFolder: string, version = opensearchVersion): string {
  return root ? join("/var/cache/platform/opensearch", version) : cacheFolder;
}
const distribution = join(distributionParent(asRoot, cache), `opensearch-${opensearchVersion}`);

const home = dataDir("opensearch");
const paths = {
  config: join(home, "config"),
  data: join(home, "data"),
  logs: join(home, "logs"),
  tmp: join(home, "tmp"),
};
const pidFile = join(home, "opensearch.pid");
const logFile = join(home, "opensearch.log");
const port = () => portFromEnv("opensearch", 19200);
const transportPort = () => portFromEnv("opensearch_transport", 19300);
const heap = () => process.env["PLATFORM_OPENSEARCH_HEAP"] ?? "512m";

/**
 * The distribution's jvm.options with its relative paths (resolved against the read-only
 * distribution, where `bin/opensearch` runs) pointed into the instance's folders.
 */
export function instanceJvmOptions(options: string, instance: { logs: string; data: string }): string {
  return options
    .replaceAll("file=logs/gc.log", `file=${instance.logs}/gc.log`)
    .replaceAll("-Xloggc:logs/", `-Xloggc:${instance.logs}/`)
    .replaceAll("HeapDumpPath=data", `HeapDumpPath=${instance.data}`)
    .replaceAll("ErrorFile=logs/", `ErrorFile=${instance.logs}/`);
}

/** The `bin/opensearch` settings of a single node on 127.0.0.1. */
export function opensearchArgs(o: {
  port: number;
  transportPort: number;
  data: string;
  logs: string;
}): string[] {
  const settings: Record<string, string | number | boolean> = {
    "cluster.name": "platform-local",
    "node.name": "local",
    "discovery.type": "single-node",
    "network.host": "127.0.0.1",
    "http.port": o.port,
    "transport.port": o.transportPort,
    "path.data": o.data,
    "path.logs": o.logs,
    // A nearly full developer disk would otherwise stop shard allocation or make indices read-only.
    "cluster.routing.allocation.disk.threshold_enabled": false,
  };
  return Object.entries(settings).map(([key, value]) => `-E${key}=${value}`);
}

/**
 * The JVM options on top of jvm.options: the heap, and for a fast start on small machines
 * the C1 JIT alone and no heap pre-touch (about half the start time, 200 MB less memory).
 */
export function opensearchJavaOpts(heapSize: string): string {
  return `-Xms${heapSize} -Xmx${heapSize} -XX:TieredStopAtLevel=1 -XX:-AlwaysPreTouch`;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function verifyZip(file: string): Promise<void> {
  const actual = await sha256(file);
  if (actual !== zipSha256) throw new Error(`${file} has SHA-256 ${actual}, expected ${zipSha256}`);
}

function asServerUser(command: string, args: readonly string[]): [string, string[]] {
  return asRoot
    ? ["setpriv", [`--reuid=${serverUser}`, `--regid=${serverUser}`, "--init-groups", "--", command, ...args]]
    : [command, [...args]];
}

function ensureServerUser(): void {
  if (!asRoot || spawnSync("id", ["-u", serverUser]).status === 0) return;
  const created = spawnSync(
    "useradd",
    [
      "--system",
      "--user-group",
      "--no-create-home",
      "--home-dir",
      "/nonexistent",
      "--shell",
      "/usr/sbin/nologin",
      serverUser,
    ],
    { encoding: "utf8" },
  );
  if (created.status !== 0) throw new Error(`useradd ${serverUser} failed: ${created.stderr}`);
}

function serverIds(): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(spawnSync("id", [flag, serverUser], { encoding: "utf8" }).stdout.trim());
  return { uid: id("-u"), gid: id("-g") };
}

/** Fails early, naming the path, when the server user cannot read the distribution or write its folders. */
function checkAccess(): void {
  const check = spawnSync(
    ...asServerUser("sh", [
      "-c",
      'test -x "$1/bin/opensearch" && test -r "$1/lib/opensearch-$2.jar" && test -w "$3/data" && test -w "$3/config"',
      "sh",
      distribution,
      opensearchVersion,
      home,
    ]),
  );
  if (check.status !== 0) {
    throw new Error(
      `OpenSearch runs as ${asRoot ? serverUser : "you"} and cannot use ${distribution} (read) or ${home} (write); ` +
        "as root, keep PLATFORM_DATA_DIR outside /root",
    );
  }
}

async function download(): Promise<void> {
  if (existsSync(zipFile)) {
    // Checked once more before it is unpacked: a cache restored by CI may be cut short.
    try {
      await verifyZip(zipFile);
      return;
    } catch (err) {
      log(`${(err as Error).message}; downloading it again`);
    }
    rmSync(zipFile);
  }
  await step(`downloading OpenSearch ${opensearchVersion} (160 MB) from Maven Central`, async () => {
    const work = mkdtempSync(join(cache, "download-"));
    try {
      await runMaven(
        `downloading OpenSearch ${opensearchVersion}`,
        [`${dependencyPlugin}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${work}`],
        join(cache, "maven.log"),
      );
      const downloaded = join(work, `opensearch-${opensearchVersion}.zip`);
      await verifyZip(downloaded);
      renameSync(downloaded, zipFile);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

async function unpack(): Promise<void> {
  const marker = join(distribution, ".unpacked");
  if (existsSync(marker)) return;
  await step(`unpacking OpenSearch ${opensearchVersion} into ${distribution}`, async () => {
    ensureDownloadTools();
    const parent = distributionParent(asRoot, cache);
    mkdirSync(parent, { recursive: true });
    // Readable by the server user whatever root's umask.
    if (asRoot)
      for (let dir = parent; dir.startsWith("/var/cache/"); dir = dirname(dir)) chmodSync(dir, 0o755);
    const work = mkdtempSync(join(parent, "unpack-"));
    try {
      const unzip = spawnSync("unzip", ["-q", zipFile, "-d", work], { encoding: "utf8" });
      if (unzip.status !== 0) throw new Error(`unzip ${zipFile} failed: ${unzip.stderr}`);
      rmSync(distribution, { recursive: true, force: true });
      renameSync(join(work, `opensearch-${opensearchVersion}`), distribution);
      writeFileSync(marker, `${artifact}\n`);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** This checkout's node: a copy of the distribution's config, and folders the server user owns. */
function prepareInstance(): void {
  const fresh = !existsSync(join(paths.config, "jvm.options"));
  mkdirSync(home, { recursive: true });
  for (const dir of [paths.data, paths.logs, paths.tmp]) mkdirSync(dir, { recursive: true });
  if (fresh) {
    // Writable (the node creates its keystore there) and readable by the server user: the
    // distribution's own config files are mode 660.
    cpSync(join(distribution, "config"), paths.config, { recursive: true });
    const jvmOptions = join(paths.config, "jvm.options");
    writeFileSync(jvmOptions, instanceJvmOptions(readFileSync(jvmOptions, "utf8"), paths));
  }
  if (asRoot) {
    const { uid, gid } = serverIds();
    const own = (path: string): void => {
      chownSync(path, uid, gid);
      if (path === paths.config)
        for (const entry of readdirSync(path, { recursive: true, encoding: "utf8" }))
          chownSync(join(path, entry), uid, gid);
    };
    for (const dir of [home, paths.data, paths.logs, paths.tmp, ...(fresh ? [paths.config] : [])]) own(dir);
  }
  checkAccess();
}

/** OpenSearch 3.8 from Maven Central's integ-test zip, one node on 127.0.0.1 per checkout. */
export const opensearch: LocalServer = {
  name: "opensearch",
  async install() {
    if (existsSync(join(distribution, ".unpacked"))) return;
    mkdirSync(cache, { recursive: true });
    await withLock(cache, async () => {
      await download();
      await unpack();
    });
    ensureServerUser();
  },
  start() {
    return launchServer({
      what: "OpenSearch",
      title: `starting OpenSearch ${opensearchVersion} on 127.0.0.1:${port()}`,
      ports: { opensearch: port(), opensearch_transport: transportPort() },
      pidFile,
      logFile,
      // 12 to 30 s on two cores, slower when other JVMs start at the same time.
      timeoutMs: 180_000,
      healthy: () => this.healthy(),
      async prepare() {
        const javaHome = findJavaHome(21, `OpenSearch ${opensearchVersion}`);
        ensureServerUser();
        prepareInstance();
        const [command, args] = asServerUser(
          join(distribution, "bin", "opensearch"),
          opensearchArgs({ port: port(), transportPort: transportPort(), ...paths }),
        );
        return {
          command,
          args,
          cwd: home,
          // Only what it needs: nothing of ours (secrets, npm's variables) leaks into the node.
          env: {
            PATH: "/usr/local/bin:/usr/bin:/bin",
            HOME: home,
            LANG: "C.UTF-8",
            OPENSEARCH_JAVA_HOME: javaHome,
            OPENSEARCH_PATH_CONF: paths.config,
            // Else every start leaves /tmp/opensearch-* behind.
            OPENSEARCH_TMPDIR: paths.tmp,
            OPENSEARCH_JAVA_OPTS: opensearchJavaOpts(heap()),
          },
        };
      },
    });
  },
  stop: () => stopDaemon(pidFile, 30_000),
  pid: () => livePid(pidFile),
  async healthy() {
    try {
      const res = await fetch(
        `http://127.0.0.1:${port()}/_cluster/health?wait_for_status=yellow&timeout=1s`,
        {
          signal: AbortSignal.timeout(3_000),
        },
      );
      if (!res.ok) return false;
      const { status } = (await res.json()) as { status?: string };
      return status === "yellow" || status === "green";
    } catch {
      return false;
    }
  },
  connection() {
    return { PLATFORM_OPENSEARCH_URL: `http://127.0.0.1:${port()}` };
  },
};
