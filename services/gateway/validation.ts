import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { HttpMethod, JsonSchema, OpenApiDocument, Operation, Parameter } from "./openapi.js";
import { type FieldError, HttpProblem } from "./problems.js";

// ajv-formats is CommonJS with a `default` property; under NodeNext the import is the module object.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

const documentId = "urn:platform:openapi";
const pointerSegment = (segment: string) => segment.replaceAll("~", "~0").replaceAll("/", "~1");

export interface RequestParts {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The validated, coerced parameters of a request, by location. */
export interface ValidParameters {
  readonly path: Readonly<Record<string, unknown>>;
  readonly query: Readonly<Record<string, unknown>>;
  readonly header: Readonly<Record<string, unknown>>;
}

export interface OperationValidator {
  /** Checks path, query and header parameters against the operation; values are coerced to their types. */
  parameters(request: RequestParts): ValidParameters;
  /** Checks a parsed JSON body against the operation's request body schema. */
  body(value: unknown): void;
  /** Parameter names, so an upstream's field error can name the right location. */
  readonly parameterNames: ReadonlySet<string>;
}

const limitedErrors = 20;

function bodyErrors(errors: readonly ErrorObject[]): FieldError[] {
  return errors.slice(0, limitedErrors).map((e) => {
    const params = e.params as Record<string, string>;
    const child = params["missingProperty"] ?? params["additionalProperty"];
    const pointer = child === undefined ? e.instancePath : `${e.instancePath}/${pointerSegment(child)}`;
    const detail =
      e.keyword === "additionalProperties"
        ? "is not a known field"
        : e.keyword === "required"
          ? "is required"
          : e.message!;
    return { pointer: pointer || "/", detail };
  });
}

function parameterErrors(errors: readonly ErrorObject[], location: string): FieldError[] {
  return errors.slice(0, limitedErrors).map((e) => {
    const missing = (e.params as Record<string, string>)["missingProperty"];
    const parameter = missing ?? e.instancePath.slice(1).replaceAll("~1", "/").replaceAll("~0", "~");
    return { parameter, detail: missing ? `the ${location} parameter is required` : e.message! };
  });
}

/**
 * Parameters arrive as strings: those declared as integers or booleans become numbers and
 * booleans only when they are written plainly ("20", "true"); anything else ("1e400",
 * "0x10", " 5") stays a string and fails its type check. Safer than ajv's coercion, which
 * would let "1e400" through as Infinity.
 */
function coerce(values: Record<string, unknown>, schemas: Readonly<Record<string, JsonSchema>>) {
  for (const [name, value] of Object.entries(values)) {
    const type = schemas[name]?.["type"];
    if (typeof value !== "string") continue;
    if (type === "integer" && /^-?\d{1,15}$/.test(value)) values[name] = Number(value);
    else if (type === "boolean" && (value === "true" || value === "false")) values[name] = value === "true";
  }
  return values;
}

function parametersSchema(parameters: readonly Parameter[], location: Parameter["in"]) {
  const ours = parameters.filter((p) => p.in === location);
  const name = (p: Parameter) => (location === "header" ? p.name.toLowerCase() : p.name);
  return {
    type: "object",
    properties: Object.fromEntries(ours.map((p) => [name(p), p.schema])),
    required: ours.filter((p) => p.required).map(name),
  };
}

/**
 * Compiles a validator per operation from the OpenAPI document (JSON Schema 2020-12 with
 * formats). Bodies are checked strictly (no coercion, unknown fields refused by the
 * schemas); parameters arrive as strings, so plain numbers and booleans are converted first.
 */
export function compileValidators(document: OpenApiDocument): Map<string, OperationValidator> {
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  // The OpenAPI members around the schemas are not JSON Schema keywords.
  for (const keyword of ["openapi", "jsonSchemaDialect", "info", "tags", "paths", "components"])
    ajv.addKeyword(keyword);
  ajv.addSchema(document as unknown as object, documentId);

  const validators = new Map<string, OperationValidator>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as [HttpMethod, Operation][]) {
      const parameters = operation.parameters ?? [];
      const compiled = (["path", "query", "header"] as const).map((location) => {
        const schema = parametersSchema(parameters, location);
        return [location, schema.properties, ajv.compile(schema)] as const;
      });
      const bodyValidator: ValidateFunction | undefined = operation.requestBody
        ? ajv.compile({
            $ref: `${documentId}#/paths/${pointerSegment(path)}/${method}/requestBody/content/application~1json/schema`,
          })
        : undefined;
      validators.set(operation.operationId, {
        parameterNames: new Set(parameters.map((p) => p.name)),
        parameters(request) {
          const values = {
            path: { ...request.params },
            query: { ...request.query },
            header: headerValues(request.headers, parameters),
          };
          const errors: FieldError[] = [];
          for (const [location, schemas, validate] of compiled) {
            if (!validate(coerce(values[location], schemas)))
              errors.push(...parameterErrors(validate.errors ?? [], location));
          }
          if (errors.length > 0)
            throw new HttpProblem("validation-failed", "some parameters are invalid", { errors });
          return values;
        },
        body(value) {
          if (bodyValidator && !bodyValidator(value))
            throw new HttpProblem("validation-failed", "the body does not match the operation's schema", {
              errors: bodyErrors(bodyValidator.errors ?? []),
            });
        },
      });
    }
  }
  return validators;
}

function headerValues(
  headers: RequestParts["headers"],
  parameters: readonly Parameter[],
): Record<string, string | string[]> {
  const values: Record<string, string | string[]> = {};
  for (const p of parameters) {
    if (p.in !== "header") continue;
    const value = headers[p.name.toLowerCase()];
    if (value !== undefined) values[p.name.toLowerCase()] = value;
  }
  return values;
}
