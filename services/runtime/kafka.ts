import { Producer, stringSerializers } from "@platformatic/kafka";
import { z } from "zod";

/**
 * How a service reaches Kafka, from the environment its pod (or `npm start`) sets: the
 * brokers, and in production SASL/SCRAM credentials over TLS (MSK serves SCRAM only on TLS).
 */
export const kafkaEnv = {
  KAFKA_BROKERS: z
    .string()
    .regex(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { error: "a comma-separated list of host:port" })
    .describe("the bootstrap brokers"),
  KAFKA_USERNAME: z.string().optional().describe("the SASL/SCRAM user (production)"),
  KAFKA_PASSWORD: z.string().optional(),
  KAFKA_SASL_MECHANISM: z.enum(["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]).default("SCRAM-SHA-512"),
  KAFKA_TLS: z
    .enum(["true", "false"])
    .optional()
    .describe("TLS to the brokers; default: on whenever a SASL user is set"),
};

export type KafkaEnv = z.output<z.ZodObject<typeof kafkaEnv>>;

/** Connection options for @platformatic/kafka clients. */
export function kafkaConnection(env: KafkaEnv, clientId: string) {
  const tls = env.KAFKA_TLS ? env.KAFKA_TLS === "true" : !!env.KAFKA_USERNAME;
  return {
    clientId,
    bootstrapBrokers: env.KAFKA_BROKERS.split(","),
    ...(tls ? { tls: {} } : {}),
    ...(env.KAFKA_USERNAME
      ? {
          sasl: {
            mechanism: env.KAFKA_SASL_MECHANISM,
            username: env.KAFKA_USERNAME,
            password: env.KAFKA_PASSWORD ?? "",
          },
        }
      : {}),
  };
}

/** An idempotent producer of string keys and values: a retried batch cannot duplicate or reorder. */
export function createProducer(env: KafkaEnv, clientId: string): Producer<string, string, string, string> {
  return new Producer({
    ...kafkaConnection(env, clientId),
    serializers: stringSerializers,
    idempotent: true,
    retries: 3,
  });
}
