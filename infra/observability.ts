import * as pagerduty from "@pulumi/pagerduty";
import * as pulumi from "@pulumi/pulumi";
import * as grafana from "@pulumiverse/grafana";
import { Alerting } from "../components/alerting/alerting.js";
import type { Cluster } from "../components/cluster/cluster.js";
import { Observability } from "../components/observability/observability.js";
import type { RegisteredService } from "../services/registry.js";
import { clusterName, commonTags, namePrefix } from "../stacks/naming.js";
import type { PlatformSpec } from "../stacks/schema.js";

/**
 * `grafana:auth` is `admin:<password>`, or just the admin password: the login Grafana is
 * installed with and the Grafana provider signs in with.
 */
export function grafanaAdmin(auth: string): { user: string; password: string } {
  const colon = auth.indexOf(":");
  return colon > 0
    ? { user: auth.slice(0, colon), password: auth.slice(colon + 1) }
    : { user: "admin", password: auth };
}

/**
 * Declares the telemetry pipeline and backends on the cluster, then Grafana's data
 * sources, dashboard and alerts and the PagerDuty side through their providers (secrets
 * from `grafana:auth` and `pagerduty:token`). Returns the stack outputs it adds.
 */
export function declareObservability(
  spec: PlatformSpec,
  services: readonly RegisteredService[],
  cluster: Cluster,
) {
  const prefix = namePrefix(spec);
  const admin = new pulumi.Config("grafana").requireSecret("auth").apply(grafanaAdmin);
  const observability = new Observability(`${prefix}-observability`, {
    prefix,
    region: spec.region,
    zones: spec.network.zones,
    k8sProvider: cluster.provider,
    irsa: cluster,
    resourceAttributes: {
      "deployment.environment.name": spec.environment,
      "k8s.cluster.name": clusterName(spec),
      "cloud.provider": "aws",
      "cloud.region": spec.region,
    },
    baselineSamplingPercent: spec.observability.baselineSamplingPercent,
    retentionDays: spec.observability.retentionDays,
    grafanaUrl: spec.observability.grafanaUrl,
    grafanaAdmin: { user: admin.user, password: admin.password },
    tags: commonTags(spec),
  });

  // The providers wait for Grafana to be installed; every resource through them follows.
  const grafanaProvider = new grafana.Provider(
    `${prefix}-grafana`,
    { url: observability.grafanaUrl, auth: pulumi.interpolate`${admin.user}:${admin.password}` },
    { dependsOn: [observability.releases.grafana] },
  );
  const pagerdutyProvider = new pagerduty.Provider(`${prefix}-pagerduty`, {
    token: new pulumi.Config("pagerduty").requireSecret("token"),
  });

  const alerting = new Alerting(`${prefix}-alerting`, {
    services,
    displayName: prefix,
    grafanaProvider,
    pagerdutyProvider,
    backends: {
      prometheus: observability.endpoints.prometheusQuery,
      loki: observability.endpoints.logsQuery,
      tempo: observability.endpoints.tracesQuery,
    },
    links: { grafanaUrl: observability.grafanaUrl, runbookBaseUrl: spec.alerting.runbookBaseUrl },
    onCall: spec.alerting.onCall,
  });

  return {
    otlpEndpoint: observability.otlpEndpoint,
    prometheusQueryUrl: observability.prometheusQueryUrl,
    grafanaUrl: observability.grafanaUrl,
    apiLatencyDashboard: alerting.dashboardUrl,
    pagerdutyService: alerting.pagerdutyService.id,
  };
}
