import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createEncryptionKey } from "../shared/kms.js";
import { type Tags, tagged } from "../shared/tags.js";
import { invalid } from "../shared/validation.js";
import { lifecyclePolicy, repositoryName } from "./image.js";

export interface ImageRegistryArgs {
  /** The stack's name prefix, e.g. "platform-prod": repositories are `<prefix>/<service>`. */
  readonly prefix: string;
  /** The services, one repository each. */
  readonly services: readonly string[];
  /** Tags for every taggable child. */
  readonly tags: Tags;
}

export function validateImageRegistryArgs(args: ImageRegistryArgs): void {
  if (args.services.length === 0) invalid("services", "expected at least one service");
  if (new Set(args.services).size !== args.services.length) invalid("services", "expected distinct names");
}

/**
 * One ECR repository per service: tags immutable (a release version names one build
 * forever), scanned on push, encrypted with a key of its own, and a lifecycle policy that
 * expires untagged layers and old releases. See
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html
 */
export class ImageRegistry extends pulumi.ComponentResource {
  static readonly type = "platform:workload:ImageRegistry";

  readonly kmsKey: aws.kms.Key;
  /** The repository of each service, by service name. */
  readonly repositories: Readonly<Record<string, aws.ecr.Repository>>;

  constructor(name: string, args: ImageRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    validateImageRegistryArgs(args);
    super(ImageRegistry.type, name, { prefix: args.prefix, services: [...args.services] }, opts);
    this.kmsKey = createEncryptionKey(
      `${name}-kms`,
      {
        description: `Encrypts the ${args.prefix} service images at rest`,
        alias: `alias/${args.prefix}-ecr`,
        tags: args.tags,
      },
      this,
    );
    const repositories: Record<string, aws.ecr.Repository> = {};
    for (const service of args.services) {
      const repository = new aws.ecr.Repository(
        `${name}-${service}`,
        {
          name: repositoryName(args.prefix, service),
          imageTagMutability: "IMMUTABLE",
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfigurations: [{ encryptionType: "KMS", kmsKey: this.kmsKey.arn }],
          tags: tagged(args.tags, `${name}-${service}`),
        },
        { parent: this },
      );
      new aws.ecr.LifecyclePolicy(
        `${name}-${service}`,
        { repository: repository.name, policy: lifecyclePolicy() },
        { parent: this },
      );
      repositories[service] = repository;
    }
    this.repositories = repositories;
    this.registerOutputs({
      repositoryUrls: Object.fromEntries(Object.entries(repositories).map(([s, r]) => [s, r.repositoryUrl])),
    });
  }
}
