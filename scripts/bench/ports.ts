import { portOpen } from "../../local/process.js";

/** Where everything the bench starts listens: its own ports, apart from `npm start`'s. */
export interface BenchPorts {
  readonly gateway: number;
  /** Every other service of the registry, running or not (the gateway needs an address for each). */
  readonly services: Readonly<Record<string, number>>;
  readonly bare: number;
  readonly front: number;
  readonly backend: number;
  /** The uncached read's ceiling: the same front, its backend reading PostgreSQL. */
  readonly frontPg: number;
  readonly backendPg: number;
  /** The bench's own Kafka broker and its controller, apart from the platform's. */
  readonly kafka: number;
  readonly kafkaController: number;
}

/** How many consecutive ports the bench takes from its base. */
export const benchPortCount = 17;

/** `base` for the gateway, the next ports for the other services, then base+10..14 for the ceilings and base+15..16 for Kafka. */
export function benchPorts(base: number, services: readonly string[]): BenchPorts {
  const others = services.filter((name) => name !== "gateway");
  if (others.length > 9)
    throw new Error(`the bench has ports for 9 services besides the gateway, not ${others.length}`);
  return {
    gateway: base,
    services: Object.fromEntries(others.map((name, i) => [name, base + 1 + i])),
    bare: base + 10,
    front: base + 11,
    backend: base + 12,
    frontPg: base + 13,
    backendPg: base + 14,
    kafka: base + 15,
    kafkaController: base + 16,
  };
}

export const allPorts = (ports: BenchPorts): number[] => [
  ports.gateway,
  ...Object.values(ports.services),
  ports.bare,
  ports.front,
  ports.backend,
  ports.frontPg,
  ports.backendPg,
  ports.kafka,
  ports.kafkaController,
];

/** Refuses to start when any of the ports is taken: measuring a stranger's server would be meaningless. */
export async function refuseTakenPorts(ports: BenchPorts): Promise<void> {
  const taken: number[] = [];
  for (const port of allPorts(ports)) if (await portOpen(port)) taken.push(port);
  if (taken.length > 0)
    throw new Error(
      `port${taken.length > 1 ? "s" : ""} ${taken.join(", ")} on 127.0.0.1 ${taken.length > 1 ? "are" : "is"} taken; stop what listens there or pass --port with another base`,
    );
}
