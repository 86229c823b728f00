import { describe, expect, it } from "vitest";
import { changed, check, messages, resource } from "../test/fixtures.js";
import { eksControlPlaneLogging, eksPolicies, eksRestrictedEndpoint, eksSecretsEncryption } from "./eks.js";

const cluster = resource("aws:eks/cluster:Cluster", "cluster", {
  encryptionConfig: { provider: { keyArn: "arn:aws:kms:key" }, resources: ["secrets"] },
  enabledClusterLogTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
  vpcConfig: {
    endpointPrivateAccess: true,
    endpointPublicAccess: true,
    publicAccessCidrs: ["203.0.113.0/24"],
  },
});

describe("EKS policies", () => {
  it("pass an encrypted, fully logged cluster with a restricted endpoint", async () => {
    expect(messages(await check(eksPolicies, [cluster]))).toEqual([]);
  });
  it("flag Secrets left unencrypted", async () => {
    const plain = changed(cluster, (r) => delete r.inputs["encryptionConfig"]);
    expect(messages(await check(eksSecretsEncryption, [plain]))).toEqual([
      "encryptionConfig does not cover secrets",
      "encryptionConfig names no KMS key",
    ]);
  });
  it("flag missing control-plane log types", async () => {
    const quiet = changed(cluster, (r) => (r.inputs["enabledClusterLogTypes"] = ["api"]));
    expect(messages(await check(eksControlPlaneLogging, [quiet]))).toEqual([
      "control-plane logs not enabled: audit, authenticator, controllerManager, scheduler",
    ]);
  });
  it("flag a public endpoint open to the internet, by default or by a wide range", async () => {
    const open = (cidrs?: string[]) =>
      changed(
        cluster,
        (r) =>
          (r.inputs["vpcConfig"] = {
            endpointPrivateAccess: true,
            ...(cidrs ? { publicAccessCidrs: cidrs } : {}),
          }),
      );
    expect(messages(await check(eksRestrictedEndpoint, [open()]))).toEqual([
      "the public endpoint has no publicAccessCidrs, so it is open to the internet",
    ]);
    expect(messages(await check(eksRestrictedEndpoint, [open(["0.0.0.0/0", "10.0.0.0/8"])]))).toEqual([
      "publicAccessCidrs includes 0.0.0.0/0",
      "10.0.0.0/8 is wider than /16",
    ]);
  });
});
