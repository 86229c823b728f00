/**
 * Service images: one ECR repository per service, tags immutable, and the release version
 * every workload of a stack runs. Pure decisions, tested without mocks.
 */
import { releaseVersionPattern } from "../../stacks/schema.js";
import { invalid } from "../shared/validation.js";

/** A release version such as "2026.11.25-1a2b3c4" (see `releaseVersionPattern`); never "latest". */
export function requireReleaseVersion(version: string, propertyPath = "version"): void {
  if (!releaseVersionPattern.test(version))
    invalid(propertyPath, `expected a release version such as "2026.11.25-1a2b3c4", got "${version}"`);
}

/** The repository of a service in a stack, e.g. "platform-prod/catalog". */
export const repositoryName = (prefix: string, service: string) => `${prefix}/${service}`;

/** The pinned image of a service's release. */
export const imageReference = (repositoryUrl: string, version: string) => `${repositoryUrl}:${version}`;

/** Release tags kept per repository; older ones expire (a rollback goes back a few releases at most). */
export const keptReleases = 50;
/** Days an untagged layer (a failed or superseded push) is kept. */
export const untaggedDays = 7;

/** The ECR lifecycle policy: expire untagged images after a week, keep the newest releases. */
export function lifecyclePolicy(): string {
  return JSON.stringify({
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images after ${untaggedDays} days`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: untaggedDays,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the ${keptReleases} newest releases`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keptReleases },
        action: { type: "expire" },
      },
    ],
  });
}
