import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { outputValue, recorded } from "../../test/pulumi.js";
import { createServiceSecret, serviceStoreLabels } from "./service-secret.js";

class Holder extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:shared:SecretHolder", name, {}, {});
  }
}

describe("serviceStoreLabels", () => {
  it("names the service, the platform, Pulumi as manager and the store", () => {
    expect(serviceStoreLabels("catalog", "postgres")).toEqual({
      "app.kubernetes.io/name": "catalog",
      "app.kubernetes.io/part-of": "platform",
      "app.kubernetes.io/managed-by": "pulumi",
      "platform.io/store": "postgres",
    });
  });
});

describe("createServiceSecret", () => {
  const holder = new Holder("secret-holder");
  const provider = new k8s.Provider("service-secret-test-k8s", { kubeconfig: "{}" });
  const secret = createServiceSecret(
    "secret-holder-catalog",
    {
      service: "catalog",
      store: "redis",
      secretName: "catalog-redis",
      namespace: "platform",
      stringData: { host: "redis.internal", authToken: pulumi.secret("pw-token") },
    },
    holder,
    provider,
  );

  it("creates an Opaque Secret in the namespace, labelled for the service and the store", async () => {
    const [recordedSecret, ...others] = await recorded("kubernetes:core/v1:Secret", holder);
    expect(others).toEqual([]);
    expect(recordedSecret!.name).toBe("secret-holder-catalog");
    expect(recordedSecret!.inputs).toMatchObject({
      type: "Opaque",
      metadata: {
        name: "catalog-redis",
        namespace: "platform",
        labels: serviceStoreLabels("catalog", "redis"),
      },
    });
  });

  it("keeps a secret value secret: the plan shows the data masked", async () => {
    const [recordedSecret] = await recorded("kubernetes:core/v1:Secret", holder);
    expect(recordedSecret!.inputs["stringData"]).toBe("[secret]");
    expect(await pulumi.isSecret(secret.stringData)).toBe(true);
    expect(await outputValue(secret.stringData)).toEqual({ host: "redis.internal", authToken: "pw-token" });
  });
});
