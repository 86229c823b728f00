import { describe, expect, it } from "vitest";
import { paths } from "../../services/gateway/openapi.js";
import { examples } from "./examples.js";

describe("npm start's example requests", () => {
  const lines = examples("http://127.0.0.1:8080", { email: "admin@platform.local", password: "pw" }).split(
    "\n",
  );

  it("show a request for every route of the public API", () => {
    for (const [path, item] of Object.entries(paths)) {
      const pattern = new RegExp(`${path.replace(/\{[^}]+\}/g, '[^/ "?]+')}([ "?]|$)`);
      for (const method of Object.keys(item).filter((k) => ["get", "post", "patch", "delete"].includes(k))) {
        const matching = lines.filter((line) => pattern.test(line));
        const withMethod = matching.some((line) =>
          method === "get"
            ? !/ -X /.test(line) && !/ -d /.test(line)
            : line.includes(`-X ${method.toUpperCase()}`) || (method === "post" && line.includes(" -d ")),
        );
        expect(withMethod, `${method.toUpperCase()} ${path}`).toBe(true);
      }
    }
  });
});
