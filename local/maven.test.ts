import { describe, expect, it } from "vitest";
import { mavenProgress } from "./maven.js";

describe("mavenProgress", () => {
  it("counts finished downloads, batch-mode or interactive", () => {
    const log = [
      "[INFO] Downloaded from central: https://repo.example/a.pom (1.6 kB at 267 kB/s)",
      "Progress (1): 7.5 kB   \r    \rDownloaded from central: https://repo.example/a.jar (7.5 kB at 1 MB/s)",
      "",
    ].join("\n");
    expect(mavenProgress(log)).toEqual({ downloaded: 2 });
  });

  it("reports the transfer under way from the last progress update", () => {
    const log =
      "Downloaded from central: https://repo.example/a.pom (1 kB)\nProgress (1): 0/161 MB\rProgress (1): 12/161 MB\rProgress (1): 64/161 MB  ";
    expect(mavenProgress(log)).toEqual({ downloaded: 1, current: "64/161 MB" });
  });

  it("ignores colour codes", () => {
    expect(mavenProgress("\u001b[1mDownloaded from \u001b[0mcentral: x\n")).toEqual({ downloaded: 1 });
  });
});
