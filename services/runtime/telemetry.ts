import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-proto";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-proto";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor } from "@opentelemetry/sdk-logs";
import { PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { NodeSDK } from "@opentelemetry/sdk-node";
import { BatchSpanProcessor } from "@opentelemetry/sdk-trace";
import { unknownZone } from "../../contracts/telemetry-schema.js";
import { LeanContextManager } from "./lean-context.js";
import { createLogger, type Logger } from "./logger.js";
import { RequestMetrics } from "./metrics.js";

export interface TelemetryIdentity {
  readonly service: string;
  readonly version: string;
  readonly zone: string;
}

export interface Telemetry {
  /** Whether anything is exported (OTEL_EXPORTER_OTLP_ENDPOINT is set). */
  readonly exporting: boolean;
  /** Flushes and stops exporters; the last step of a graceful shutdown. */
  shutdown(): Promise<void>;
}

/**
 * Starts OpenTelemetry for a service: traces, metrics and logs over OTLP/HTTP (protobuf)
 * to the collector named by OTEL_EXPORTER_OTLP_ENDPOINT (the standard variables set the
 * rest: headers, per-signal endpoints, OTEL_METRIC_EXPORT_INTERVAL). Without an endpoint
 * the API stays live but nothing leaves the process.
 */
export function startTelemetry(identity: TelemetryIdentity, env: NodeJS.ProcessEnv = process.env): Telemetry {
  const exporting = !!(env["OTEL_EXPORTER_OTLP_ENDPOINT"] || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]);
  const interval = Number(env["OTEL_METRIC_EXPORT_INTERVAL"] ?? 15_000);
  const sdk = new NodeSDK({
    // The pod's OTEL_RESOURCE_ATTRIBUTES (release version, pod, node) come first; what the
    // runtime knows fills the rest. The revision stays a label of its own: canary analysis
    // compares revisions, people read release versions.
    resource: resourceFromAttributes({
      "service.name": identity.service,
      "service.version": identity.version,
      "service.namespace": "platform",
      "platform.revision": identity.version,
      "cloud.availability_zone": identity.zone,
    }).merge(detectResources({ detectors: [envDetector] })),
    autoDetectResources: false,
    // Contexts that a scavenge can free with their spans (lean-context.ts).
    contextManager: new LeanContextManager(),
    // The runtime's own clients create spans (see tracing.ts); module patching cannot reach bundles.
    instrumentations: [],
    ...(exporting
      ? {
          spanProcessors: [
            new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 1_000 }),
          ],
          metricReaders: [
            new PeriodicExportingMetricReader({
              exporter: new OTLPMetricExporter(),
              exportIntervalMillis: interval,
            }),
          ],
          logRecordProcessors: [
            new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), scheduledDelayMillis: 1_000 }),
          ],
        }
      : { spanProcessors: [], metricReaders: [], logRecordProcessors: [] }),
  });
  sdk.start();
  return { exporting, shutdown: () => sdk.shutdown() };
}

/**
 * Everything a service process observes itself with: telemetry, logs with trace ids and
 * request metrics, labelled from the runtime settings (gRPC services and the gateway alike).
 */
export function instrument(
  service: string,
  config: { readonly SERVICE_REVISION: string; readonly ZONE: string; readonly LOG_LEVEL: string },
  env: NodeJS.ProcessEnv = process.env,
): { telemetry: Telemetry; logger: Logger; metrics: RequestMetrics } {
  const telemetry = startTelemetry({ service, version: config.SERVICE_REVISION, zone: config.ZONE }, env);
  const logger = createLogger(service, {
    level: config.LOG_LEVEL,
    exportToOpenTelemetry: telemetry.exporting,
    // Unknown in a pod until the collector fills it in from the node: not worth a field per line.
    ...(config.ZONE === unknownZone ? {} : { zone: config.ZONE }),
  });
  const metrics = new RequestMetrics(service, { zone: config.ZONE, version: config.SERVICE_REVISION });
  return { telemetry, logger, metrics };
}
