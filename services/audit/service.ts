import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "audit",
  summary: "The append-only, hash-chained audit trail of every event; history and state at time T.",
  port: 7106,
  protocol: "grpc",
  public: true,
  // write-once: where it publishes its signed chain heads.
  stores: ["postgres", "write-once"],
  // Its login role may insert and read events, never change them (the owner runs migrations).
  databaseAccess: "append-only",
  // Signs the chain heads it publishes to write-once storage: generated once, never rotated.
  secrets: [{ env: "AUDIT_HEAD_SIGNING_KEY", generate: "key-256-base64" }],
  events: { consumes: "all" },
  rollout: { strategy: "canary", weights: [25, 50], pause: "2m" },
  resources: { cpu: "250m", memory: "512Mi", cpuLimit: "1", memoryLimit: "1Gi" },
});
