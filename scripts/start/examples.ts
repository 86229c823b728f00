import { demoUser } from "../../local/seed.js";

/** Pulls one JSON field out of the previous command's output, in the shell, with Node. */
const field = (path: string) => `node -pe 'JSON.parse(require("fs").readFileSync(0)).${path}'`;

/**
 * Example requests for every public route, ready to paste into a shell in order: later
 * lines use the variables earlier ones set (TOKEN, REFRESH, ADMIN, PRODUCT, ORDER, TRACE, HOOK...).
 */
export function examples(base: string, admin: { email: string; password: string }): string {
  const json = "-H 'content-type: application/json'";
  const bearer = (variable: string) => `-H "authorization: Bearer $${variable}"`;
  const login = (email: string, password: string) =>
    `curl -s ${base}/v1/auth/login ${json} -d '{"email":"${email}","password":"${password}"}'`;
  const you = { email: "you@example.com", password: "a long passphrase" };
  // The client's own trace: the gateway starts a new one linked to it and names it in `traceresponse`.
  const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
  const orderHeaders = "/tmp/platform-order.headers";
  return [
    `# accounts: sign up (202, the same answer whether or not the email is taken), log in, refresh, API keys, log out (the demo user ${demoUser.email} exists too)`,
    `curl -s ${base}/v1/auth/signup ${json} -d '{"email":"${you.email}","password":"${you.password}","name":"You"}'`,
    `LOGIN=$(${login(you.email, you.password)}); TOKEN=$(echo "$LOGIN" | ${field("accessToken")}); REFRESH=$(echo "$LOGIN" | ${field("refreshToken")})`,
    `ADMIN=$(${login(admin.email, admin.password)} | ${field("accessToken")})`,
    `REFRESH=$(curl -s ${base}/v1/auth/refresh ${json} -d "{\\"refreshToken\\":\\"$REFRESH\\"}" | ${field("refreshToken")})`,
    `KEY=$(curl -s ${base}/v1/auth/api-keys -X POST ${bearer("TOKEN")} ${json} -d '{"name":"laptop"}' | ${field("keyId")})`,
    `curl -s ${base}/v1/auth/api-keys/$KEY -X DELETE ${bearer("TOKEN")}`,
    "# the catalog: browse, read, search; admins add and change products",
    `PRODUCT=$(curl -s "${base}/v1/products?limit=3" | ${field("items[0].id")})`,
    `curl -s ${base}/v1/products/$PRODUCT`,
    `curl -s "${base}/v1/search?q=shoe&category=shoes"`,
    `NEW=$(curl -s ${base}/v1/products -X POST ${bearer("ADMIN")} ${json} -d '{"sku":"CAP-1","name":"Running cap","description":"","category":"gear","price":{"amountMinor":1999,"currency":"EUR"},"stock":5}' | ${field("id")})`,
    `curl -s ${base}/v1/products/$NEW -X PATCH ${bearer("ADMIN")} ${json} -d '{"stock":50}'`,
    "# a webhook (point it at your own receiver), an order, its deliveries",
    `HOOK=$(curl -s ${base}/v1/webhooks -X POST ${bearer("TOKEN")} ${json} -d '{"url":"http://127.0.0.1:9999/hooks","eventTypes":["platform.orders.*"]}' | ${field("webhook.id")})`,
    `curl -s ${base}/v1/webhooks ${bearer("TOKEN")}`,
    `ORDER=$(curl -s -D ${orderHeaders} ${base}/v1/orders -X POST ${bearer("TOKEN")} -H "idempotency-key: $(date +%s)" -H "traceparent: 00-${clientTrace}-00f067aa0ba902b7-01" ${json} -d "{\\"lines\\":[{\\"productId\\":\\"$PRODUCT\\",\\"quantity\\":1}]}" | ${field("id")})`,
    `TRACE=$(sed -n 's/^traceresponse: 00-\\([0-9a-f]*\\)-.*/\\1/p' ${orderHeaders})`,
    `curl -s ${base}/v1/orders/$ORDER ${bearer("TOKEN")}`,
    `curl -s ${base}/v1/orders/$ORDER/cancel -X POST ${bearer("TOKEN")}`,
    `curl -s ${base}/v1/webhooks/$HOOK/deliveries ${bearer("TOKEN")}`,
    `curl -s ${base}/v1/webhooks/$HOOK -X DELETE ${bearer("TOKEN")}`,
    "# the audit trail: an entity's history and state at a time, one transaction by trace id, the chain",
    `curl -s ${base}/v1/audit/entities/order/$ORDER ${bearer("TOKEN")}`,
    `curl -s "${base}/v1/audit/entities/order/$ORDER/state?at=$(date -u +%Y-%m-%dT%H:%M:%SZ)" ${bearer("TOKEN")}`,
    `curl -s "${base}/v1/audit/traces/$TRACE?limit=50" ${bearer("ADMIN")}`,
    `curl -s ${base}/v1/audit/verify -X POST ${bearer("ADMIN")}`,
    `curl -s ${base}/v1/auth/logout ${json} -d "{\\"refreshToken\\":\\"$REFRESH\\"}"`,
  ].join("\n");
}
