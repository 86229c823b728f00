// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the collector's own ${env:NAME} syntax, expected verbatim
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { latencyObjective, requestLabels, unknownZone } from "../../contracts/telemetry-schema.js";
import { zoneKey } from "../microservice/pod-template.js";
import { endpoints, observabilityNamespace } from "./backends.js";
import {
  agentConfig,
  agentEnv,
  type CollectorConfig,
  type CollectorPipelineArgs,
  gatewayConfig,
  gatewayDecisionWaitSeconds,
  type LocalCollectorArgs,
  localConfig,
  nodeZone,
  podEnv,
  renderCollectorConfig,
} from "./collector-config.js";

const e = endpoints(observabilityNamespace);
const args: CollectorPipelineArgs = {
  gatewayService: e.gatewayService,
  metricsPushUrl: e.metricsPush,
  logsOtlpUrl: e.logsOtlp,
  tracesOtlpEndpoint: e.tracesOtlp,
  baselineSamplingPercent: 7,
  slowTraceMs: 200,
};
const agent = agentConfig(args);
const gateway = gatewayConfig(args);
const localArgs: LocalCollectorArgs = {
  ports: { otlpGrpc: 14317, otlpHttp: 14318, healthCheck: 14133, internalMetrics: 18888, prometheus: 18889 },
  tracesFile: "/data/collector/traces.jsonl",
  logsFile: "/data/collector/logs.jsonl",
  baselineSamplingPercent: 100,
  slowTraceMs: 200,
  decisionWaitSeconds: 2,
};
const local = localConfig(localArgs);
const signals = ["traces", "metrics", "logs"] as const;

/** Component ids a pipeline section references must be defined in that section. */
function undefinedReferences(config: CollectorConfig): string[] {
  const missing: string[] = [];
  for (const signal of signals) {
    const pipeline = config.service.pipelines[signal];
    for (const [kind, ids] of [
      ["receivers", pipeline.receivers],
      ["processors", pipeline.processors],
      ["exporters", pipeline.exporters],
    ] as const) {
      for (const id of ids) if (!(id in config[kind])) missing.push(`${signal}: ${kind}.${id}`);
    }
  }
  return missing;
}

describe("the collector configurations", () => {
  it.each([
    ["agent", agent],
    ["gateway", gateway],
    ["local", local],
  ])("%s: every pipeline references only defined components", (_tier, config) => {
    expect(undefinedReferences(config)).toEqual([]);
  });

  it.each([
    ["agent", agent],
    ["gateway", gateway],
    ["local", local],
  ])("%s: memory_limiter runs first and batch last in every pipeline", (_tier, config) => {
    for (const signal of signals) {
      const processors = config.service.pipelines[signal].processors;
      expect(processors[0], signal).toBe("memory_limiter");
      expect(processors.at(-1), signal).toBe("batch");
    }
  });

  it("receives OTLP on gRPC 4317 and HTTP 4318, bound to the pod's IP", () => {
    expect(agent.receivers.otlp?.protocols).toEqual({
      grpc: { endpoint: "${env:MY_POD_IP}:4317" },
      http: { endpoint: "${env:MY_POD_IP}:4318" },
    });
  });

  it("routes spans by trace id to the gateway replicas, so tail sampling sees whole traces", () => {
    expect(agent.service.pipelines.traces.exporters).toEqual(["load_balancing/gateway"]);
    expect(agent.exporters["load_balancing/gateway"]).toMatchObject({
      routing_key: "traceID",
      resolver: { k8s: { service: "otel-gateway.observability", ports: [4317] } },
    });
  });

  it("enriches every signal on the agent with Kubernetes metadata looked up on its own node", () => {
    for (const signal of signals)
      expect(agent.service.pipelines[signal].processors).toEqual(
        expect.arrayContaining(["k8s_attributes", "resource_detection"]),
      );
    expect(agent.processors.k8s_attributes).toMatchObject({
      passthrough: false,
      filter: { node_from_env_var: podEnv.nodeName },
    });
    expect(agentEnv({}).map((v) => v.name)).toEqual(
      expect.arrayContaining([podEnv.nodeName, podEnv.serviceAccountDir]),
    );
  });

  it("copies the node's topology.kubernetes.io/zone label into a resource attribute", () => {
    expect(agent.processors.k8s_attributes?.extract.labels).toEqual([
      {
        tag_name: "k8s.node.label.topology.kubernetes.io/zone",
        key: "topology.kubernetes.io/zone",
        from: "node",
      },
    ]);
    expect(nodeZone.label).toBe(zoneKey);
  });

  it("fills the zone the runtime cannot know from the node's zone, after k8s_attributes", () => {
    const transform = agent.processors["transform/zone"];
    const fromNode = 'resource.attributes["k8s.node.label.topology.kubernetes.io/zone"]';
    // The names and the placeholder are the telemetry contract's (the runtime's config test
    // holds the runtime to the same placeholder).
    expect(requestLabels).toContain(nodeZone.metricLabel);
    expect(nodeZone.unknown).toBe(unknownZone);

    expect(transform?.metric_statements).toEqual([
      {
        context: "resource",
        statements: [
          `set(resource.attributes["cloud.availability_zone"], ${fromNode}) where ${fromNode} != nil` +
            ' and (resource.attributes["cloud.availability_zone"] == nil or resource.attributes["cloud.availability_zone"] == "unknown")',
        ],
      },
      {
        context: "datapoint",
        statements: [
          `set(datapoint.attributes["zone"], ${fromNode}) where ${fromNode} != nil` +
            ' and resource.attributes["service.namespace"] == "platform"' +
            ' and (datapoint.attributes["zone"] == nil or datapoint.attributes["zone"] == "unknown")',
        ],
      },
    ]);
    // cloud.availability_zone is a resource attribute of spans and logs too.
    expect(transform?.trace_statements).toEqual([transform?.metric_statements?.[0]]);
    expect(transform?.log_statements).toEqual([transform?.metric_statements?.[0]]);
    for (const signal of signals) {
      const processors = agent.service.pipelines[signal].processors;
      expect(processors.indexOf("transform/zone"), signal).toBeGreaterThan(
        processors.indexOf("k8s_attributes"),
      );
    }
  });

  it("keeps errors, traces slower than the latency objective, and the configured baseline", () => {
    expect(gateway.service.pipelines.traces.processors).toContain("tail_sampling");
    expect(
      gatewayConfig({ ...args, slowTraceMs: latencyObjective.p99Seconds * 1000 }).processors.tail_sampling
        ?.policies,
    ).toEqual([
      { name: "errors", type: "status_code", status_code: { status_codes: ["ERROR"] } },
      { name: "slower-than-200ms", type: "latency", latency: { threshold_ms: 200 } },
      { name: "baseline", type: "probabilistic", probabilistic: { sampling_percentage: 7 } },
    ]);
  });

  it("exports metrics to Mimir, logs to Loki's OTLP endpoint and traces to Tempo", () => {
    expect(gateway.exporters).toMatchObject({
      "prometheus_remote_write/mimir": {
        endpoint: "http://mimir-distributor.observability.svc:8080/api/v1/push",
      },
      "otlp_http/loki": { endpoint: "http://loki-gateway.observability.svc/otlp" },
      "otlp_grpc/tempo": { endpoint: "tempo-distributor.observability.svc:4317" },
    });
    expect(gateway.service.pipelines.metrics.exporters).toEqual(["prometheus_remote_write/mimir"]);
    expect(gateway.service.pipelines.logs.exporters).toEqual(["otlp_http/loki"]);
    expect(gateway.service.pipelines.traces.exporters).toEqual(["otlp_grpc/tempo"]);
  });

  it("scrapes cAdvisor of its own node and kube-state-metrics only where its pod runs", () => {
    const jobs = agent.receivers.prometheus?.config.scrape_configs ?? [];
    expect(jobs.map((j) => j.job_name)).toEqual(["cadvisor", "kube-state-metrics"]);
    expect(jobs[0]?.metrics_path).toBe("/api/v1/nodes/${env:K8S_NODE_NAME}/proxy/metrics/cadvisor");
    expect(jobs[1]?.kubernetes_sd_configs?.[0]?.selectors).toEqual([
      { role: "pod", field: "spec.nodeName=${env:K8S_NODE_NAME}" },
    ]);
  });

  it("renders YAML that reads back to the same object", () => {
    expect(parse(renderCollectorConfig(gateway))).toEqual(JSON.parse(JSON.stringify(gateway)));
  });
});

describe("the local collector configuration", () => {
  it("listens on loopback only: OTLP, health check and both metrics endpoints", () => {
    expect(local.receivers.otlp?.protocols).toEqual({
      grpc: { endpoint: "127.0.0.1:14317" },
      http: { endpoint: "127.0.0.1:14318" },
    });
    expect(local.extensions.health_check.endpoint).toBe("127.0.0.1:14133");
    expect(local.exporters["prometheus"]).toMatchObject({ endpoint: "127.0.0.1:18889" });
    expect(local.service.telemetry.metrics.readers[0]?.pull.exporter.prometheus).toEqual({
      host: "127.0.0.1",
      port: 18888,
    });
    expect(renderCollectorConfig(local)).not.toContain("${env:");
  });

  it("runs the production processors from the same definitions, the decision wait a parameter", () => {
    expect(local.processors.memory_limiter).toEqual(agent.processors.memory_limiter);
    expect(local.processors.resource_detection).toEqual(agent.processors.resource_detection);
    expect(local.processors.batch).toEqual(agent.processors.batch);
    const sampling = gatewayConfig({ ...args, baselineSamplingPercent: 100 }).processors.tail_sampling;
    expect(local.processors.tail_sampling).toEqual({ ...sampling, decision_wait: "2s" });
    expect(gateway.processors.tail_sampling?.decision_wait).toBe(`${gatewayDecisionWaitSeconds}s`);
    expect(local.service.pipelines.traces.processors).toEqual([
      "memory_limiter",
      "resource_detection",
      "tail_sampling",
      "batch",
    ]);
  });

  it("leaves out what needs a cluster: k8s_attributes and the node-zone transform", () => {
    expect(local.processors.k8s_attributes).toBeUndefined();
    expect(local.processors["transform/zone"]).toBeUndefined();
    expect(local.receivers.prometheus).toBeUndefined();
  });

  it("writes spans and logs as rotated JSON lines and serves metrics with resource attributes as labels", () => {
    expect(local.exporters["file/traces"]).toEqual({
      path: "/data/collector/traces.jsonl",
      format: "json",
      rotation: { max_megabytes: 50, max_backups: 2 },
    });
    expect(local.exporters["file/logs"]).toMatchObject({
      path: "/data/collector/logs.jsonl",
      format: "json",
    });
    expect(local.exporters["prometheus"]).toMatchObject({
      resource_to_telemetry_conversion: { enabled: true },
    });
    expect(local.service.pipelines.traces.exporters).toEqual(["file/traces"]);
    expect(local.service.pipelines.logs.exporters).toEqual(["file/logs"]);
    expect(local.service.pipelines.metrics.exporters).toEqual(["prometheus"]);
  });

  it("renders without YAML anchors", () => {
    expect(renderCollectorConfig(local)).not.toMatch(/[&*]a\d/);
  });
});
