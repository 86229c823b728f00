import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "catalog",
  summary: "Products, prices and stock, behind a read-through Redis cache.",
  port: 7102,
  protocol: "grpc",
  public: true,
  stores: ["postgres", "redis"],
  // The saga's steps: nobody but orders moves stock (gateway and search call the rest).
  methodCallers: { ReserveStock: ["orders"], ReleaseStock: ["orders"] },
  events: { publishes: true },
  scaling: { min: 3, max: 20 },
  rollout: { strategy: "canary", weights: [10, 25, 50], pause: "2m" },
  resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
