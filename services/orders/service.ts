import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "orders",
  summary: "Places and cancels orders; reserves stock in catalog as a saga with compensation.",
  port: 7104,
  protocol: "grpc",
  public: true,
  calls: ["catalog"],
  stores: ["postgres"],
  events: { publishes: true },
  rollout: { strategy: "canary", weights: [10, 25, 50], pause: "5m" },
  resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
