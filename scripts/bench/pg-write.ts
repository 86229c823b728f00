/**
 * The write path's ceiling: the durable work one placed order needs, straight on
 * PostgreSQL with no service, no gRPC and no HTTP. Three transactions, as the saga commits
 * them: the pending order with its event; the stock reservation with its event; the
 * confirmation with its event. Events go through the runtime's own outbox insert. Stock is
 * spread over the same products the place-order scenario orders.
 *
 * usage: node --import tsx scripts/bench/pg-write.ts '{"databaseUrl", "connections", "warmupSeconds", "seconds"}'
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { repoRoot } from "../../local/paths.js";
import { newEvent } from "../../services/runtime/events.js";
import { appendEvent } from "../../services/runtime/outbox.js";
import { runCallers } from "./callers.js";
import { generatorProtocol } from "./measurement.js";
import { benchProductId, benchProductIdSql, orderProducts } from "./requests.js";

export interface PgWriteConfig {
  readonly databaseUrl: string;
  readonly connections: number;
  readonly warmupSeconds: number;
  readonly seconds: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as PgWriteConfig;
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: config.connections });

await pool.query(
  readFileSync(join(repoRoot, "services", "runtime", "runtime-sql", "001.do.outbox.sql"), "utf8"),
);
await pool.query(`
  CREATE TABLE IF NOT EXISTS ceiling_orders (
    id uuid PRIMARY KEY, user_id text NOT NULL, idempotency_key text NOT NULL UNIQUE,
    lines jsonb NOT NULL, state text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now());
  CREATE TABLE IF NOT EXISTS ceiling_stock (id uuid PRIMARY KEY, stock integer NOT NULL CHECK (stock >= 0),
    version integer NOT NULL DEFAULT 1);
  CREATE TABLE IF NOT EXISTS ceiling_reservations (idempotency_key text PRIMARY KEY,
    order_id text NOT NULL UNIQUE, lines jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
  INSERT INTO ceiling_stock (id, stock)
    SELECT ${benchProductIdSql("n")}, 1000000000
    FROM generate_series(0, ${orderProducts - 1}) n ON CONFLICT DO NOTHING;`);

async function transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await work(client);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK");
    throw err;
  } finally {
    client.release();
  }
}

const event = (entity: string, id: string, action: string, data: unknown) =>
  newEvent("orders", { entity, entityId: id, action, actor: "bench", data });

let sequence = 0;
async function placeOrder(): Promise<void> {
  const id = randomUUID();
  const lines = [{ productId: benchProductId(sequence++ % orderProducts), quantity: 1 }];
  const json = JSON.stringify(lines);
  await transaction(async (tx) => {
    await tx.query(
      "INSERT INTO ceiling_orders (id, user_id, idempotency_key, lines, state) VALUES ($1, 'bench', $2, $3, 'pending')",
      [id, randomUUID(), json],
    );
    await appendEvent(tx, "orders.events.v1", event("order", id, "placed", { lines }));
  });
  await transaction(async (tx) => {
    const { rowCount } = await tx.query(
      "UPDATE ceiling_stock SET stock = stock - 1, version = version + 1 WHERE id = $1 AND stock >= 1",
      [lines[0]!.productId],
    );
    if (rowCount !== 1) throw new Error("out of stock");
    await tx.query(
      "INSERT INTO ceiling_reservations (idempotency_key, order_id, lines) VALUES ($1, $1, $2)",
      [id, json],
    );
    await appendEvent(
      tx,
      "catalog.events.v1",
      event("product", lines[0]!.productId, "stock-reserved", { lines }),
    );
  });
  await transaction(async (tx) => {
    await tx.query("UPDATE ceiling_orders SET state = 'confirmed', updated_at = now() WHERE id = $1", [id]);
    await appendEvent(tx, "orders.events.v1", event("order", id, "confirmed", {}));
  });
}

generatorProtocol.result(await runCallers(config, placeOrder));
await pool.end();
