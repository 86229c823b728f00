import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "search",
  summary: "Full-text product search on OpenSearch, indexed from catalog events.",
  port: 7103,
  protocol: "grpc",
  public: true,
  // The reindex command (node main.mjs reindex) rebuilds the index from catalog's ListProducts.
  calls: ["catalog"],
  stores: ["opensearch"],
  events: { consumes: ["catalog"] },
  rollout: { strategy: "canary", weights: [20, 50], pause: "2m" },
  resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
