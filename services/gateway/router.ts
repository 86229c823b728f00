import FindMyWay, { type HTTPMethod } from "find-my-way";
import { httpMethods, type OpenApiDocument } from "./openapi.js";

/** What a request path and method resolve to. */
export type Match =
  | {
      readonly kind: "route";
      /** The OpenAPI path template, e.g. "/v1/products/{id}": the route label of metrics and spans. */
      readonly template: string;
      /** An operationId, or the name of a built-in endpoint. */
      readonly name: string;
      readonly params: Readonly<Record<string, string>>;
    }
  | { readonly kind: "method-not-allowed"; readonly template: string; readonly allow: readonly string[] }
  | { readonly kind: "not-found" };

interface Target {
  readonly template: string;
  readonly name: string;
}

const toFindMyWay = (template: string) => template.replace(/\{([^}]+)\}/g, ":$1");
const methods = httpMethods.map((m) => m.toUpperCase() as HTTPMethod);

/**
 * The routes of the OpenAPI document plus built-in endpoints on a radix tree (find-my-way).
 * A path that exists under other methods is a 405 with Allow, not a 404.
 */
export class Router {
  readonly #tree = FindMyWay({ ignoreTrailingSlash: false, caseSensitive: true, maxParamLength: 256 });

  constructor(
    document: OpenApiDocument,
    builtIn: Readonly<Record<string, Readonly<Record<string, string>>>>,
  ) {
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        this.#add(method.toUpperCase() as HTTPMethod, template, operation.operationId);
      }
    }
    for (const [template, byMethod] of Object.entries(builtIn)) {
      for (const [method, name] of Object.entries(byMethod)) this.#add(method as HTTPMethod, template, name);
    }
  }

  #add(method: HTTPMethod, template: string, name: string): void {
    const target: Target = { template, name };
    this.#tree.on(method, toFindMyWay(template), () => undefined, target);
  }

  match(method: string, path: string): Match {
    const found = this.#find(method, path);
    if (found)
      return {
        kind: "route",
        template: found.target.template,
        name: found.target.name,
        params: found.params,
      };
    const allowed = methods.filter((m) => m !== method && this.#find(m, path));
    if (allowed.length === 0) return { kind: "not-found" };
    const template = this.#find(allowed[0]!, path)!.target.template;
    return { kind: "method-not-allowed", template, allow: allowed };
  }

  #find(method: string, path: string) {
    if (!methods.includes(method as HTTPMethod)) return undefined;
    const found = this.#tree.find(method as HTTPMethod, path);
    if (!found) return undefined;
    return { target: found.store as Target, params: found.params as Record<string, string> };
  }
}
