import { defineService } from "../../contracts/service-spec.js";

export default defineService({
  name: "identity",
  summary: "Users, password login, short-lived EdDSA JWTs with refresh, JWKS and API keys.",
  port: 7101,
  protocol: "grpc",
  public: true,
  stores: ["postgres", "redis"],
  // An API key's secret, which verifies its signed requests: for the gateway's eyes only.
  methodCallers: { GetSigningKey: ["gateway"] },
  // Its key-encryption key (seals signing and API keys in Postgres): generated once, never rotated.
  secrets: [{ env: "IDENTITY_KEY_ENCRYPTION_KEY", generate: "key-256-base64" }],
  events: { publishes: true },
  // Token issuing and key rotation switch over whole: blue-green, promoted by a person.
  rollout: { strategy: "blueGreen", autoPromote: false },
  resources: { cpu: "250m", memory: "256Mi", cpuLimit: "1", memoryLimit: "512Mi" },
});
