import { describe, expect, it } from "vitest";
import {
  distributionParent,
  instanceJvmOptions,
  opensearchArgs,
  opensearchJavaOpts,
  opensearchVersion,
} from "./opensearch.js";

describe("instanceJvmOptions", () => {
  // The lines of the distribution's config/jvm.options that name paths.
  const shipped = [
    "-XX:HeapDumpPath=data",
    "-XX:ErrorFile=logs/hs_err_pid%p.log",
    "8:-Xloggc:logs/gc.log",
    "9-:-Xlog:gc*,gc+age=trace,safepoint:file=logs/gc.log:utctime,pid,tags:filecount=32,filesize=64m",
  ].join("\n");

  it("points every relative path into the instance, not the read-only distribution", () => {
    const rewritten = instanceJvmOptions(shipped, { logs: "/d/os/logs", data: "/d/os/data" });
    expect(rewritten).toContain("-XX:HeapDumpPath=/d/os/data");
    expect(rewritten).toContain("-XX:ErrorFile=/d/os/logs/hs_err_pid%p.log");
    expect(rewritten).toContain("file=/d/os/logs/gc.log:utctime");
    expect(rewritten).toContain("-Xloggc:/d/os/logs/gc.log");
    expect(rewritten).not.toMatch(/[=:](logs|data)(\/|$)/m);
  });
});

describe("opensearchArgs", () => {
  const args = opensearchArgs({ port: 19200, transportPort: 19300, data: "/d/os/data", logs: "/d/os/logs" });

  it("runs a single node bound to 127.0.0.1 on the given ports", () => {
    expect(args).toEqual(
      expect.arrayContaining([
        "-Ediscovery.type=single-node",
        "-Enetwork.host=127.0.0.1",
        "-Ehttp.port=19200",
        "-Etransport.port=19300",
        "-Epath.data=/d/os/data",
        "-Epath.logs=/d/os/logs",
      ]),
    );
  });

  it("turns off the disk watermarks, so a full developer disk does not block shards", () => {
    expect(args).toContain("-Ecluster.routing.allocation.disk.threshold_enabled=false");
  });
});

describe("opensearchJavaOpts", () => {
  it("fixes the heap and starts fast: C1 only, no heap pre-touch", () => {
    expect(opensearchJavaOpts("512m").split(" ")).toEqual([
      "-Xms512m",
      "-Xmx512m",
      "-XX:TieredStopAtLevel=1",
      "-XX:-AlwaysPreTouch",
    ]);
  });
});

describe("distributionParent", () => {
  it("unpacks outside /root when the server runs as its own user", () => {
    expect(distributionParent(true, "/root/.cache/platform/opensearch/3.8.0")).toBe(
      `/var/cache/platform/opensearch/${opensearchVersion}`,
    );
    expect(distributionParent(false, "/home/dev/.cache/platform/opensearch/3.8.0")).toBe(
      "/home/dev/.cache/platform/opensearch/3.8.0",
    );
  });
});
