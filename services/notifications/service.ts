import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "notifications",
  summary: "Webhook subscriptions; delivers HMAC-signed webhooks with retries and a dead-letter topic.",
  port: 7105,
  protocol: "grpc",
  public: true,
  stores: ["postgres"],
  // Its key-encryption key (seals webhook signing secrets in Postgres): generated once, never rotated.
  secrets: [{ env: "NOTIFICATIONS_KEY_ENCRYPTION_KEY", generate: "key-256-base64" }],
  events: { publishes: true, consumes: ["identity", "catalog", "orders"] },
  rollout: { strategy: "canary", weights: [25, 50], pause: "2m" },
  resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
