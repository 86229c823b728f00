import { demoUser } from "../../local/seed.js";

/** Example requests for the public routes, ready to paste into a shell. */
export function examples(base: string): string {
  const login = `curl -s ${base}/v1/auth/login -H 'content-type: application/json' -d '{"email":"${demoUser.email}","password":"${demoUser.password}"}'`;
  return [
    "try:",
    `  curl -s ${base}/v1/products?limit=3`,
    `  TOKEN=$(${login} | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')`,
    `  curl -s ${base}/v1/products/<id from the list> -H "authorization: Bearer $TOKEN"`,
    `  curl -s ${base}/v1/auth/api-keys -X POST -H "authorization: Bearer $TOKEN"`,
    `  curl -s "${base}/v1/search?q=shoe"`,
    `  curl -s ${base}/v1/orders -X POST -H "authorization: Bearer $TOKEN" -H 'idempotency-key: demo-1' -H 'content-type: application/json' -d '{"lines":[{"productId":"<id>","quantity":1}]}'`,
  ].join("\n");
}
