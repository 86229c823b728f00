import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { RegisteredService } from "../../services/registry.js";
import { createServiceAccountRole, type IrsaIssuer } from "../cluster/irsa.js";
import { createEncryptionKey } from "../shared/kms.js";
import { createPrivateBucket } from "../shared/private-bucket.js";
import { serviceStoreLabels } from "../shared/service-secret.js";
import type { Tags } from "../shared/tags.js";
import { invalid, requireWholeNumber } from "../shared/validation.js";
import {
  defaultRetentionDays,
  objectLockRule,
  writeOnceBucketName,
  writeOnceConfigMapName,
  writeOncePolicy,
} from "./write-once-plan.js";

export interface WriteOnceStorageArgs {
  /** The registry: every service whose `stores` include "write-once" gets a bucket. */
  readonly services: readonly RegisteredService[];
  /** Resource and bucket name prefix, e.g. "platform-prod". */
  readonly prefix: string;
  /** The bucket's region, told to the service. */
  readonly region: string;
  /** The cluster whose service accounts assume the roles. */
  readonly irsa: IrsaIssuer;
  /** The workload namespace (the services' service accounts and ConfigMaps). */
  readonly namespace: pulumi.Input<string>;
  readonly k8sProvider: k8s.Provider;
  /** Days each object stays locked (compliance mode). Default: 2555 (seven years). */
  readonly retentionDays?: number;
  readonly tags: Tags;
}

export function validateWriteOnceStorageArgs(args: WriteOnceStorageArgs): void {
  if (!args.services.some((s) => s.stores.includes("write-once")))
    invalid("services", 'no service declares the store "write-once"');
  requireWholeNumber(args.retentionDays ?? defaultRetentionDays, "retentionDays", {
    min: 1,
    max: 36_500,
    unit: "days",
  });
}

/**
 * Write-once object storage for each service that declares "write-once" (audit, which
 * publishes its signed chain heads there): a private, KMS-encrypted, versioned S3 bucket
 * with Object Lock in compliance mode by default, so an object once written cannot be
 * changed or removed by anyone until its retention ends; an IRSA role, assumed by the
 * service's account alone, that may add and read objects and nothing else; and the
 * ConfigMap `<service>-write-once` (`url`, `region`).
 */
export class WriteOnceStorage extends pulumi.ComponentResource {
  static readonly type = "platform:data:WriteOnceStorage";

  readonly buckets: Readonly<Record<string, aws.s3.Bucket>>;
  /** The IRSA role of each service, by name (annotated on its service account). */
  readonly serviceRoleArns: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: WriteOnceStorageArgs, opts?: pulumi.ComponentResourceOptions) {
    validateWriteOnceStorageArgs(args);
    const services = args.services.filter((s) => s.stores.includes("write-once"));
    super(WriteOnceStorage.type, name, { services: services.map((s) => s.name) }, opts);
    const retentionDays = args.retentionDays ?? defaultRetentionDays;
    const accountId = aws.getCallerIdentityOutput({}, { parent: this }).accountId;

    const buckets: Record<string, aws.s3.Bucket> = {};
    const roles: Record<string, pulumi.Output<string>> = {};
    for (const service of services) {
      const child = `${name}-${service.name}`;
      const kmsKey = createEncryptionKey(
        child,
        { description: `Encrypts ${service.name}'s write-once bucket of ${args.prefix}`, tags: args.tags },
        this,
      );
      const bucket = createPrivateBucket(
        child,
        {
          bucket: accountId.apply((id) => writeOnceBucketName(args.prefix, service.name, id)),
          kmsKeyArn: kmsKey.arn,
          objectLock: true,
          tags: args.tags,
        },
        this,
      );
      new aws.s3.BucketObjectLockConfiguration(
        child,
        { bucket: bucket.id, objectLockEnabled: "Enabled", rule: objectLockRule(retentionDays) },
        { parent: this },
      );
      const role = createServiceAccountRole(
        child,
        {
          issuer: args.irsa,
          namespace: args.namespace,
          serviceAccount: service.name,
          inlinePolicy: pulumi.all([bucket.bucket, kmsKey.arn]).apply(([b, k]) => writeOncePolicy(b, k)),
          tags: args.tags,
        },
        this,
      );
      new k8s.core.v1.ConfigMap(
        child,
        {
          metadata: {
            name: writeOnceConfigMapName(service.name),
            namespace: args.namespace,
            labels: serviceStoreLabels(service.name, "write-once"),
          },
          data: { url: pulumi.interpolate`s3://${bucket.bucket}/`, region: args.region },
        },
        { parent: this, provider: args.k8sProvider },
      );
      buckets[service.name] = bucket;
      roles[service.name] = role.arn;
    }
    this.buckets = buckets;
    this.serviceRoleArns = roles;
    this.registerOutputs({ buckets: Object.values(buckets).map((b) => b.bucket), serviceRoleArns: roles });
  }
}
