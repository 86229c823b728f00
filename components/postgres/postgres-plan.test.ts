import { describe, expect, it } from "vitest";
import {
  clusterParameterGroupFamily,
  clusterParameters,
  connectionUrl,
  postgresNames,
} from "./postgres-plan.js";

describe("postgresNames", () => {
  it("gives a service a database of its name, a login role _svc and an owner role _owner", () => {
    expect(postgresNames("catalog")).toEqual({
      database: "catalog",
      role: "catalog_svc",
      owner: "catalog_owner",
      secret: "catalog-postgres",
      ownerSecret: "catalog-postgres-owner",
    });
  });

  it("turns hyphens into underscores so identifiers never need quoting", () => {
    expect(postgresNames("order-history")).toEqual({
      database: "order_history",
      role: "order_history_svc",
      owner: "order_history_owner",
      secret: "order-history-postgres",
      ownerSecret: "order-history-postgres-owner",
    });
  });
});

describe("clusterParameterGroupFamily", () => {
  it.each([
    ["16.6", "aurora-postgresql16"],
    ["15.10", "aurora-postgresql15"],
    ["17.4", "aurora-postgresql17"],
  ])("derives the family of %s from its major version", (version, family) => {
    expect(clusterParameterGroupFamily(version)).toBe(family);
  });
});

describe("clusterParameters", () => {
  it("forces TLS on every connection", () => {
    expect(clusterParameters).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));
  });
});

describe("connectionUrl", () => {
  it("percent-encodes the credentials and carries the sslmode", () => {
    expect(
      connectionUrl({
        host: "db.example",
        port: 5432,
        database: "catalog",
        username: "catalog_svc",
        password: "a/b@c",
        sslmode: "verify-full",
      }),
    ).toBe("postgres://catalog_svc:a%2Fb%40c@db.example:5432/catalog?sslmode=verify-full");
  });
});
