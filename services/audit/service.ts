import { defineService } from "../runtime/service-spec.js";

export default defineService({
  name: "audit",
  summary: "The append-only, hash-chained audit trail of every event; history and state at time T.",
  port: 7106,
  protocol: "grpc",
  public: true,
  stores: ["postgres"],
  // Its login role may insert and read events, never change them (the owner runs migrations).
  databaseAccess: "append-only",
  events: { consumes: "all" },
  rollout: { strategy: "canary", weights: [25, 50], pause: "2m" },
  resources: { cpu: "250m", memory: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" },
});
