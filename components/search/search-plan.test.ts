import { describe, expect, it } from "vitest";
import { domainAccessPolicy, domainArn, logDeliveryPolicy, serviceRolePolicy } from "./search-plan.js";

const arn = "arn:aws:es:eu-west-1:123456789012:domain/platform-prod-search";
const roleArn = "arn:aws:iam::123456789012:role/search";

describe("domainArn", () => {
  it("spells the ARN OpenSearch gives the domain", () => {
    expect(domainArn("aws", "eu-west-1", "123456789012", "platform-prod-search")).toBe(arn);
  });
});

describe("domainAccessPolicy", () => {
  it("allows HTTP calls on this domain to the one role and nobody else", () => {
    expect(JSON.parse(domainAccessPolicy(arn, roleArn)).Statement).toEqual([
      { Effect: "Allow", Principal: { AWS: roleArn }, Action: "es:ESHttp*", Resource: `${arn}/*` },
    ]);
  });
});

describe("serviceRolePolicy", () => {
  it("lets the role call this domain only", () => {
    expect(JSON.parse(serviceRolePolicy(arn)).Statement).toEqual([
      { Effect: "Allow", Action: "es:ESHttp*", Resource: `${arn}/*` },
    ]);
  });
});

describe("logDeliveryPolicy", () => {
  it("lets OpenSearch write into the group only on behalf of this domain and account", () => {
    const [statement] = JSON.parse(
      logDeliveryPolicy("arn:aws:logs:eu-west-1:1:log-group:/x", arn, "1"),
    ).Statement;
    expect(statement).toMatchObject({
      Principal: { Service: "es.amazonaws.com" },
      Resource: "arn:aws:logs:eu-west-1:1:log-group:/x:*",
      Condition: { StringEquals: { "aws:SourceAccount": "1" }, ArnLike: { "aws:SourceArn": arn } },
    });
  });
});
