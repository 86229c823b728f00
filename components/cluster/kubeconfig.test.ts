import { describe, expect, it } from "vitest";
import { kubeconfig } from "./kubeconfig.js";

const config = JSON.parse(
  kubeconfig({
    clusterName: "platform-prod",
    endpoint: "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
    certificateAuthorityData: "Q0EK",
    region: "eu-west-1",
  }),
);

describe("kubeconfig", () => {
  it("points at the cluster's endpoint with its CA", () => {
    expect(config.clusters).toEqual([
      {
        name: "platform-prod",
        cluster: {
          server: "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
          "certificate-authority-data": "Q0EK",
        },
      },
    ]);
    expect(config["current-context"]).toBe("platform-prod");
  });

  it("authenticates with a short-lived token from aws eks get-token, storing no credential", () => {
    const [user] = config.users;
    expect(Object.keys(user.user)).toEqual(["exec"]);
    expect(user.user.exec).toMatchObject({
      command: "aws",
      args: [
        "eks",
        "get-token",
        "--cluster-name",
        "platform-prod",
        "--region",
        "eu-west-1",
        "--output",
        "json",
      ],
    });
  });
});
