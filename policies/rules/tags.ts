/**
 * Cost allocation: every taggable AWS resource says who owns it and who pays for it.
 * Advisory: an untagged resource costs visibility, not safety.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";

/** AWS types that take no tags (associations, policies, versions...); every other AWS type is expected to. */
export const untaggableTypes = [
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:iam/policyAttachment:PolicyAttachment",
  "aws:kms/alias:Alias",
  "aws:msk/configuration:Configuration",
  "aws:msk/scramSecretAssociation:ScramSecretAssociation",
  "aws:secretsmanager/secretPolicy:SecretPolicy",
  "aws:secretsmanager/secretVersion:SecretVersion",
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/route:Route",
  "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",
  "aws:ec2/securityGroupRule:SecurityGroupRule",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  "aws:lambda/permission:Permission",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy",
  "aws:ecr/repositoryPolicy:RepositoryPolicy",
];

export const awsCostTags: ResourceValidationPolicy = {
  name: "aws-cost-tags",
  description: "Taggable AWS resources carry the owner and cost-center tags.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      requiredTags: { type: "array", items: { type: "string" }, default: ["owner", "cost-center"] },
      untaggableTypes: { type: "array", items: { type: "string" }, default: untaggableTypes },
    },
  },
  validateResource: (args, report) => {
    const { requiredTags, untaggableTypes } = args.getConfig<{
      requiredTags: string[];
      untaggableTypes: string[];
    }>();
    if (!args.type.startsWith("aws:") || untaggableTypes.includes(args.type))
      args.notApplicable("not a taggable AWS resource");
    // Tags set once on the provider (defaultTags) count as well.
    const fromProvider = (
      args.provider?.props["defaultTags"] as { tags?: Record<string, string> } | undefined
    )?.tags;
    const tags = {
      ...(fromProvider ?? {}),
      ...((args.props["tags"] as Record<string, string> | undefined) ?? {}),
    };
    const missing = requiredTags.filter((t) => !tags[t]);
    if (missing.length > 0) report(`missing tags: ${missing.join(", ")}`);
  },
};

export const tagPolicies = [awsCostTags];
