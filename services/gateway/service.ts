import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "gateway",
  summary: "The public REST API: JWT and signed-request auth, rate limits, routing to gRPC.",
  port: 8080,
  protocol: "http",
  public: true,
  calls: ["identity", "catalog", "search", "orders", "notifications", "audit"],
  // It verifies JWTs and signed requests: the one caller services take a user's principal from.
  authenticatesUsers: true,
  stores: ["redis"],
  rollout: { strategy: "canary", weights: [10, 25, 50], pause: "2m" },
  resources: { cpu: "500m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
