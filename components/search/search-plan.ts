/**
 * The pure decisions of the Search component: the domain's ARN and the policy documents
 * around it, and what the searching service is told. Tested without any cloud.
 */

/** OpenSearch in a VPC serves HTTPS only. */
export const opensearchPort = 443;

/** TLS 1.2 or newer with perfect forward secrecy only. */
export const tlsSecurityPolicy = "Policy-Min-TLS-1-2-PFS-2023-10";

/** The logs the domain publishes to CloudWatch. */
export const publishedLogTypes = ["INDEX_SLOW_LOGS", "SEARCH_SLOW_LOGS", "ES_APPLICATION_LOGS"] as const;

/** The ARN of a domain, known before it exists (so that policies need not wait for it). */
export function domainArn(partition: string, region: string, accountId: string, domainName: string): string {
  return `arn:${partition}:es:${region}:${accountId}:domain/${domainName}`;
}

/** The domain's resource policy: HTTP access for the one role, to this domain only. */
export function domainAccessPolicy(arn: string, roleArn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: roleArn }, Action: "es:ESHttp*", Resource: `${arn}/*` }],
  });
}

/** The role's own policy: the same HTTP access, so that it holds whatever the domain policy says. */
export function serviceRolePolicy(arn: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "es:ESHttp*", Resource: `${arn}/*` }],
  });
}

/**
 * Lets OpenSearch write its logs into the group, and only on behalf of this domain of
 * this account (the confused-deputy conditions).
 */
export function logDeliveryPolicy(logGroupArn: string, arn: string, accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "es.amazonaws.com" },
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: `${logGroupArn}:*`,
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": arn } },
      },
    ],
  });
}

/** The ConfigMap a service reads the domain from, e.g. `search-opensearch`. */
export const configMapName = (service: string) => `${service}-opensearch`;
