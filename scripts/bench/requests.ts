/**
 * The requests of the uncached-read and write scenarios, one definition for both load
 * generators (wrk's Lua and the open loop). Every product and key has a fixed width, so a
 * request's length never changes and the open loop can prebuild its shape.
 */

/** Bench product ids: this prefix, then the product's number in 12 digits (a valid UUIDv4). */
export const benchProductIdPrefix = "00000000-0000-4000-8000-";

/** Products seeded straight into bench_catalog: the n-th has this id. */
export const benchProductId = (n: number): string => `${benchProductIdPrefix}${String(n).padStart(12, "0")}`;

/** The same id in SQL, for the integer expression `n`. */
export const benchProductIdSql = (n: string): string =>
  `('${benchProductIdPrefix}' || lpad((${n})::text, 12, '0'))::uuid`;

/** How many products orders spread over (stock on one hot row would serialize every order). */
export const orderProducts = 1_000;

/** The n-th order's idempotency key under a prefix (one prefix per measurement). */
export const idempotencyKey = (prefix: string, n: number): string =>
  `${prefix}-${String(n).padStart(10, "0")}`;

/** The n-th order's body: one of `orderProducts` products, quantity 1. */
export const orderBody = (n: number): string =>
  JSON.stringify({ lines: [{ productId: benchProductId(n % orderProducts), quantity: 1 }] });

/** Lua for wrk: the uncached read walks product `first`, `first+1`, ... so no id repeats. */
export function luaWalkProducts(first: number): string {
  return `local n = ${first - 1}
request = function()
  n = n + 1
  return wrk.format("GET", string.format("/v1/products/${benchProductIdPrefix}%012d", n))
end`;
}

/** Lua for wrk: each request a new order, its own idempotency key, spread over the products. */
export function luaPlaceOrders(prefix: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(prefix))
    throw new Error(`idempotency key prefix must be [A-Za-z0-9-]: ${prefix}`);
  return `local n = -1
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  wrk.headers["Idempotency-Key"] = string.format("${prefix}-%010d", n)
  local body = string.format('{"lines":[{"productId":"${benchProductIdPrefix}%012d","quantity":1}]}', n % ${orderProducts})
  return wrk.format(nil, "/v1/orders", nil, body)
end`;
}
