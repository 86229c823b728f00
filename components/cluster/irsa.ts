/**
 * IAM Roles for Service Accounts (IRSA): a Kubernetes service account assumes an IAM role
 * by presenting its projected token to STS, which checks it against the cluster's OIDC
 * provider. The trust policy below is the whole security boundary, so it is built in one
 * place, pinned to one (namespace, service account) and the STS audience, and tested.
 * See https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid, requireNamespaceName } from "../shared/validation.js";

/** The audience EKS projects into service account tokens meant for STS. */
export const stsAudience = "sts.amazonaws.com";

/** A service account name (RFC 1123 subdomain). */
const dnsSubdomain = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** The issuer as IAM condition keys spell it: the issuer URL without `https://`. */
export function issuerHostPath(issuerUrl: string): string {
  return issuerUrl.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

/** The `sub` claim of a service account's token. */
export function serviceAccountSubject(namespace: string, serviceAccount: string): string {
  requireNamespaceName(namespace);
  if (!dnsSubdomain.test(serviceAccount))
    invalid("serviceAccount", `"${serviceAccount}" is not a Kubernetes service account name`);
  return `system:serviceaccount:${namespace}:${serviceAccount}`;
}

export interface IrsaTrustPolicyArgs {
  /** The ARN of the cluster's IAM OIDC provider. */
  readonly oidcProviderArn: string;
  /** The cluster's OIDC issuer URL, with or without `https://`. */
  readonly oidcIssuerUrl: string;
  /** The namespace of the service account. */
  readonly namespace: string;
  /** The service account allowed to assume the role; no wildcards. */
  readonly serviceAccount: string;
}

/**
 * The trust policy letting exactly one service account of one cluster assume a role:
 * `sts:AssumeRoleWithWebIdentity` from the cluster's OIDC provider, with `StringEquals` on
 * both the token's subject and its audience (without the audience check, a token minted
 * for another audience could be replayed at STS).
 */
export function irsaTrustPolicy(args: IrsaTrustPolicyArgs): string {
  const issuer = issuerHostPath(args.oidcIssuerUrl);
  if (!args.oidcProviderArn.endsWith(`:oidc-provider/${issuer}`)) {
    invalid("oidcProviderArn", `${args.oidcProviderArn} is not the OIDC provider of issuer ${issuer}`);
  }
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: args.oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${issuer}:sub`]: serviceAccountSubject(args.namespace, args.serviceAccount),
            [`${issuer}:aud`]: stsAudience,
          },
        },
      },
    ],
  });
}

/** What a service account role needs from the cluster: `Cluster` satisfies it. */
export interface IrsaIssuer {
  /** The cluster's IAM OIDC provider. */
  readonly oidcProvider: { readonly arn: pulumi.Input<string> };
  /** The cluster's OIDC issuer URL (with or without `https://`). */
  readonly oidcIssuerUrl: pulumi.Input<string>;
}

export interface ServiceAccountRoleArgs {
  /** The cluster whose service account assumes the role. */
  readonly issuer: IrsaIssuer;
  /** The namespace of the service account; pass the Namespace's name Output so the role follows it. */
  readonly namespace: pulumi.Input<string>;
  /** The service account name. */
  readonly serviceAccount: string;
  /**
   * Managed policies to attach, keyed by a short label that names the attachment (so the
   * URN stays stable whatever the ARN is), e.g. `{ cni: aws.iam.ManagedPolicy.AmazonEKS_CNI_Policy }`.
   * Default: none.
   */
  readonly managedPolicyArns?: Readonly<Record<string, pulumi.Input<string>>>;
  /** An inline policy document (JSON), for least-privilege access to the component's own resources. Default: none. */
  readonly inlinePolicy?: pulumi.Input<string>;
  /** Tags for the role. */
  readonly tags: Tags;
}

/**
 * An IAM role only the given service account can assume, with its policies. The service
 * account must carry the annotation `eks.amazonaws.com/role-arn: <role.arn>`.
 */
export function createServiceAccountRole(
  name: string,
  args: ServiceAccountRoleArgs,
  parent: pulumi.Resource,
): aws.iam.Role {
  if (typeof args.namespace === "string") serviceAccountSubject(args.namespace, args.serviceAccount);
  const account = pulumi.interpolate`${args.namespace}/${args.serviceAccount}`;
  const role = new aws.iam.Role(
    name,
    {
      description: pulumi.interpolate`IRSA role of service account ${account}`,
      assumeRolePolicy: pulumi
        .all([args.issuer.oidcProvider.arn, args.issuer.oidcIssuerUrl, args.namespace])
        .apply(([oidcProviderArn, oidcIssuerUrl, namespace]) =>
          irsaTrustPolicy({ oidcProviderArn, oidcIssuerUrl, namespace, serviceAccount: args.serviceAccount }),
        ),
      tags: { ...tagged(args.tags, name), "platform.io/service-account": account },
    },
    { parent },
  );
  for (const [label, policyArn] of Object.entries(args.managedPolicyArns ?? {})) {
    new aws.iam.RolePolicyAttachment(`${name}-${label}`, { role: role.id, policyArn }, { parent });
  }
  if (args.inlinePolicy !== undefined) {
    new aws.iam.RolePolicy(name, { role: role.id, policy: args.inlinePolicy }, { parent });
  }
  return role;
}
