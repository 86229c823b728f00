/**
 * Offline schema validation of Kubernetes objects, as the API server and the CRDs'
 * OpenAPI schemas would judge them, in two passes:
 *
 * 1. `kubernetes-models` validates each object against its generated JSON schema (types,
 *    enums, required fields): the core API of Kubernetes 1.33 and the Argo Rollouts and
 *    KEDA CRDs. Those schemas accept unknown fields, so a typo (`setWieght`) would pass.
 * 2. A strict pass walks every field the object sets and requires it to be a property of
 *    the schema at that place. The property lists come from the same generated schemas,
 *    through the TypeScript declarations `kubernetes-models` ships with them, read with the
 *    TypeScript compiler's type checker; maps (`labels`, `matchLabels`) stay open.
 *
 * The AWS Load Balancer Controller's TargetGroupBinding has no published model: its
 * v1beta1 CRD schema is transcribed below (the fields of
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/targetgroupbinding/spec/),
 * with its required fields checked by hand.
 */
import ts from "typescript";
import { secretMask } from "../scripts/plan/plan-types.js";

interface KindModel {
  /** The module of the model (its class and its `I<Kind>` interface). */
  readonly module?: string;
  /** The interface in the virtual declarations for kinds without a model. */
  readonly localInterface?: string;
}

const core = (kind: string) => ({ module: `kubernetes-models/v1/${kind}` });
const models: Readonly<Record<string, KindModel>> = {
  "v1/Namespace": core("Namespace"),
  "v1/Secret": core("Secret"),
  "v1/ConfigMap": core("ConfigMap"),
  "v1/Service": core("Service"),
  "v1/ServiceAccount": core("ServiceAccount"),
  "policy/v1/PodDisruptionBudget": { module: "kubernetes-models/policy/v1/PodDisruptionBudget" },
  "networking.k8s.io/v1/NetworkPolicy": { module: "kubernetes-models/networking.k8s.io/v1/NetworkPolicy" },
  "networking.k8s.io/v1/Ingress": { module: "kubernetes-models/networking.k8s.io/v1/Ingress" },
  "argoproj.io/v1alpha1/Rollout": { module: "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout" },
  "argoproj.io/v1alpha1/AnalysisTemplate": {
    module: "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate",
  },
  "keda.sh/v1alpha1/ScaledObject": { module: "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject" },
  "elbv2.k8s.aws/v1beta1/TargetGroupBinding": { localInterface: "ITargetGroupBinding" },
};

const targetGroupBindingDeclarations = `
import type { IIoK8sApimachineryPkgApisMetaV1ObjectMeta as ObjectMeta } from "@kubernetes-models/apimachinery/apis/meta/v1/ObjectMeta";
import type { IIoK8sApimachineryPkgApisMetaV1LabelSelector as LabelSelector } from "@kubernetes-models/apimachinery/apis/meta/v1/LabelSelector";
interface NetworkingPeer { ipBlock?: { cidr: string }; securityGroup?: { groupID: string } }
interface NetworkingPort { port?: number | string; protocol?: "TCP" | "UDP" }
export interface ITargetGroupBinding {
  apiVersion: "elbv2.k8s.aws/v1beta1";
  kind: "TargetGroupBinding";
  metadata?: ObjectMeta;
  spec: {
    targetGroupARN?: string;
    targetGroupName?: string;
    targetType?: "instance" | "ip";
    serviceRef: { name: string; port: number | string };
    networking?: { ingress?: { from?: NetworkingPeer[]; ports?: NetworkingPort[] }[] };
    nodeSelector?: LabelSelector;
    ipAddressType?: "ipv4" | "ipv6";
    vpcID?: string;
    multiClusterTargetGroup?: boolean;
    targetGroupProtocol?: string;
  };
}
`;

/** The key of an object's kind, e.g. "argoproj.io/v1alpha1/Rollout". */
export const kindKey = (object: { apiVersion?: unknown; kind?: unknown }) =>
  `${String(object.apiVersion)}/${String(object.kind)}`;

/** The kinds this validator knows. */
export const knownKinds: readonly string[] = Object.keys(models);

const interfaceName = (key: string) => models[key]!.localInterface ?? `I${key.split("/").pop()}`;

let checker: { program: ts.Program; types: Map<string, ts.Type> } | undefined;

/** One TypeScript program over the models' declarations, built once (about a second). */
function schemaTypes(): Map<string, ts.Type> {
  if (checker) return checker.types;
  const fileName = `${process.cwd()}/test/__kubernetes-schemas__.ts`;
  const lines = [targetGroupBindingDeclarations];
  const aliases: string[] = [];
  Object.entries(models).forEach(([key, model], i) => {
    if (!model.module) return;
    lines.push(`import type { ${interfaceName(key)} as K${i} } from "${model.module}";`);
    aliases.push(`  "${key}": K${i};`);
  });
  const local = Object.entries(models).filter(([, m]) => m.localInterface);
  for (const [key, m] of local) aliases.push(`  "${key}": ${m.localInterface};`);
  const source = `${lines.join("\n")}\nexport interface Kinds {\n${aliases.join("\n")}\n}\n`;
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion, true)
      : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const typeChecker = program.getTypeChecker();
  const file = program.getSourceFile(fileName)!;
  const kinds = file.statements.find(
    (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === "Kinds",
  )!;
  const kindsType = typeChecker.getTypeAtLocation(kinds);
  const types = new Map<string, ts.Type>();
  for (const key of Object.keys(models)) {
    const property = typeChecker.getPropertyOfType(kindsType, key);
    const type = property && typeChecker.getTypeOfSymbol(property);
    if (!type || type.flags & ts.TypeFlags.Any)
      throw new Error(`the schema of ${key} did not resolve: check the module of its model`);
    types.set(key, type);
  }
  checker = { program, types };
  return types;
}

/** The fields `value` sets that the schema `type` does not have, as paths. */
function unknownFields(value: unknown, type: ts.Type, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  const typeChecker = checker!.program.getTypeChecker();
  const t = type.getNonNullableType();
  if (t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const members = t.isUnion() ? t.types : [t];
  if (Array.isArray(value)) {
    const array = members.find((m) => typeChecker.isArrayType(m));
    const element = array && typeChecker.getTypeArguments(array as ts.TypeReference)[0];
    if (element) for (const [i, item] of value.entries()) unknownFields(item, element, `${path}[${i}]`, out);
    return;
  }
  const objects = members.filter((m) => m.flags & ts.TypeFlags.Object && !typeChecker.isArrayType(m));
  if (objects.length === 0) return;
  for (const [key, field] of Object.entries(value)) {
    let fieldType: ts.Type | undefined;
    for (const m of objects) {
      const property = typeChecker.getPropertyOfType(m, key);
      fieldType = property
        ? typeChecker.getTypeOfSymbol(property)
        : typeChecker.getIndexTypeOfType(m, ts.IndexKind.String);
      if (fieldType) break;
    }
    if (fieldType) unknownFields(field, fieldType, `${path}.${key}`, out);
    else out.push(`${path}.${key}`);
  }
}

/**
 * The plan shows a secret input as "[secret]" in place of the whole property (Pulumi marks
 * the top-level input secret): nothing can be checked there, so it is left out.
 */
function withoutMasked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutMasked);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== secretMask)
        .map(([k, v]) => [k, withoutMasked(v)]),
    );
  return value;
}

type Model = new (data: unknown) => { validate(): void };

/** Runs the kind's generated JSON-schema validator; returns its complaint, if any. */
async function schemaProblems(key: string, object: Record<string, unknown>): Promise<string[]> {
  const model = models[key]!;
  if (!model.module) {
    const spec = object["spec"] as {
      serviceRef?: { name?: unknown; port?: unknown };
      targetGroupARN?: unknown;
    };
    const problems: string[] = [];
    if (!spec?.serviceRef?.name || spec.serviceRef.port === undefined)
      problems.push("spec.serviceRef: name and port are required");
    if (typeof spec?.targetGroupARN !== "string") problems.push("spec.targetGroupARN: required");
    return problems;
  }
  const exports = (await import(model.module)) as Record<string, Model>;
  const Class = exports[key.split("/").pop()!]!;
  try {
    new Class(object).validate();
    return [];
  } catch (err) {
    return [`schema: ${(err as Error).message}`];
  }
}

/**
 * Every problem of one Kubernetes object: an unknown kind, a schema violation, or a field
 * the schema does not define (with its path). Empty when the object is valid.
 */
export async function validateKubernetesObject(planned: Record<string, unknown>): Promise<string[]> {
  const object = withoutMasked(planned) as Record<string, unknown>;
  const key = kindKey(object);
  if (!models[key]) return [`no schema known for ${key}: add its model to test/kubernetes-schema.ts`];
  const problems = await schemaProblems(key, object);
  const unknown: string[] = [];
  unknownFields(object, schemaTypes().get(key)!, "", unknown);
  return [...problems, ...unknown.map((path) => `unknown field ${path.slice(1)}`)];
}
