import { describe, expect, it } from "vitest";
import { irsaTrustPolicy, issuerHostPath, serviceAccountSubject } from "./irsa.js";

const issuer = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
const providerArn = `arn:aws:iam::111122223333:oidc-provider/${issuer}`;

const policy = (overrides: Partial<Parameters<typeof irsaTrustPolicy>[0]> = {}) =>
  JSON.parse(
    irsaTrustPolicy({
      oidcProviderArn: providerArn,
      oidcIssuerUrl: `https://${issuer}`,
      namespace: "platform",
      serviceAccount: "orders",
      ...overrides,
    }),
  );

describe("irsaTrustPolicy", () => {
  it("lets only the cluster's OIDC provider assume the role, with a web identity", () => {
    const [statement, ...rest] = policy().Statement;
    expect(rest).toEqual([]);
    expect(statement).toMatchObject({
      Effect: "Allow",
      Principal: { Federated: providerArn },
      Action: "sts:AssumeRoleWithWebIdentity",
    });
  });

  it("pins the token's subject to one service account and its audience to STS", () => {
    expect(policy().Statement[0].Condition).toEqual({
      StringEquals: {
        [`${issuer}:sub`]: "system:serviceaccount:platform:orders",
        [`${issuer}:aud`]: "sts.amazonaws.com",
      },
    });
  });

  it("spells condition keys the same with or without https:// on the issuer", () => {
    expect(policy({ oidcIssuerUrl: issuer })).toEqual(policy());
  });

  it("refuses a provider of another issuer", () => {
    expect(() =>
      policy({
        oidcProviderArn: "arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/OTHER",
      }),
    ).toThrow(/is not the OIDC provider of issuer/);
  });

  it.each([
    ["*", "orders"],
    ["platform", "*"],
    ["Platform", "orders"],
    ["", "orders"],
  ])(
    "refuses namespace %j with service account %j (no wildcards, no invalid names)",
    (namespace, serviceAccount) => {
      expect(() => policy({ namespace, serviceAccount })).toThrow(/is not a Kubernetes/);
    },
  );
});

describe("issuerHostPath", () => {
  it("drops the scheme and any trailing slash", () => {
    expect(issuerHostPath(`https://${issuer}/`)).toBe(issuer);
  });
});

describe("serviceAccountSubject", () => {
  it("names the service account as the API server signs it", () => {
    expect(serviceAccountSubject("kube-system", "aws-node")).toBe(
      "system:serviceaccount:kube-system:aws-node",
    );
  });
});
