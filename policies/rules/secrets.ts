/**
 * No password, token or key written into the program or its plain config.
 *
 * What CrossGuard can see decides the shape of this rule: `@pulumi/policy` hands policies
 * secret values already unwrapped (`deserializeProperties(..., false)`), so a secret and a
 * literal look alike, and a generated password is only unknown on the first preview. What
 * does tell them apart is provenance: a safe value came from another resource (a
 * RandomPassword, a TLS key, a secrets manager) and so has property dependencies; a literal
 * has none. So: a sensitive-looking property must be masked ("[secret]", as the offline plan
 * shows secrets), unknown (computed during preview), or depend on another resource.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { isUnknownValue } from "../lib/preview-values.js";

interface SecretsConfig {
  sensitiveKeyPattern: string;
  identifierPattern: string;
  sensitiveValuePatterns: string[];
  generatorTypes: string[];
}

/** `masterPassword`, `auth-token`, `api_key` → `master_password`, `auth_token`, `api_key`. */
export const normalizeKey = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toLowerCase();

export const secretMask = "[secret]";

interface Finding {
  readonly path: string;
  readonly why: string;
}

/** Every string under `value` that a sensitive key holds or that looks like a credential. */
function findings(value: unknown, path: string, sensitive: boolean, config: SecretsConfig, out: Finding[]) {
  if (typeof value === "string") {
    if (value === "" || value === secretMask) return;
    if (sensitive) out.push({ path, why: "holds a value typed into the program or its plain config" });
    else if (config.sensitiveValuePatterns.some((p) => new RegExp(p).test(value))) {
      out.push({ path, why: "contains what looks like a private key or an access key" });
    }
    return;
  }
  if (!value || typeof value !== "object") return;
  const keyPattern = new RegExp(config.sensitiveKeyPattern);
  const idPattern = new RegExp(config.identifierPattern);
  for (const key of Object.keys(value)) {
    let child: unknown;
    try {
      child = (value as Record<string, unknown>)[key];
    } catch (err) {
      if (isUnknownValue(err)) continue; // computed during preview: not a literal
      throw err;
    }
    const normalized = normalizeKey(key);
    const childSensitive = sensitive || (keyPattern.test(normalized) && !idPattern.test(normalized));
    findings(child, Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`, childSensitive, config, out);
  }
}

/**
 * Outputs a provider computes from another property (stack validations see outputs): a
 * Kubernetes Secret's `data` is its `stringData`, encoded, so it is as derived as that is.
 */
const computedFrom: Record<string, Record<string, string>> = {
  "kubernetes:core/v1:Secret": { data: "stringData" },
};

const derived = (resource: PolicyResource, property: string): boolean => {
  if ((resource.propertyDependencies[property] ?? []).length > 0) return true;
  const source = computedFrom[resource.type]?.[property];
  return source !== undefined && (resource.propertyDependencies[source] ?? []).length > 0;
};

/** Resources whose values come only from stack config: default providers. */
const isDefaultProvider = (r: PolicyResource) =>
  r.type.startsWith("pulumi:providers:") && r.name.startsWith("default");

export const noPlaintextSecrets: StackValidationPolicy = {
  name: "no-plaintext-secrets",
  description:
    "No password, token or key is written into the program: each is a secret, computed, or derived from another resource.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      sensitiveKeyPattern: {
        type: "string",
        default:
          "(^|_)(password|passwd|passphrase|secret|token|credentials?|(api|private|integration|access|secret|signing|encryption)_key|client_secret)(_(pem|string|value|data|base64))?$",
        description: "Matched against property names in snake_case: names that end in what holds a secret.",
      },
      identifierPattern: {
        type: "string",
        default: "^(existing|external)_",
        description:
          "Names that point to a secret kept elsewhere (Helm's existingSecret) rather than hold one.",
      },
      sensitiveValuePatterns: {
        type: "array",
        items: { type: "string" },
        default: ["-----BEGIN [A-Z ]*PRIVATE KEY-----", "\\b(AKIA|ASIA)[0-9A-Z]{16}\\b"],
      },
      generatorTypes: {
        type: "array",
        items: { type: "string" },
        default: [
          "random:index/randomPassword:RandomPassword",
          "random:index/randomBytes:RandomBytes",
          "random:index/randomString:RandomString",
          "tls:index/privateKey:PrivateKey",
          "tls:index/selfSignedCert:SelfSignedCert",
          "aws:iam/accessKey:AccessKey",
          "pagerduty:index/serviceIntegration:ServiceIntegration",
          "cloudflare:index/apiToken:ApiToken",
        ],
        description: "Types that generate secrets themselves: their own outputs are not literals.",
      },
    },
  },
  validateStack: (args, report) => {
    const config = args.getConfig<SecretsConfig>();
    for (const resource of args.resources) {
      if (isDefaultProvider(resource) || config.generatorTypes.includes(resource.type)) continue;
      for (const property of Object.keys(resource.props)) {
        if (derived(resource, property)) continue; // from another resource: generated, not typed in
        const found: Finding[] = [];
        findings({ [property]: safeGet(resource.props, property) }, "", false, config, found);
        for (const f of found)
          report(`${f.path.slice(1)} ${f.why}; make it a secret or derive it from a resource`, resource.urn);
      }
    }
  },
};

function safeGet(props: Record<string, unknown>, key: string): unknown {
  try {
    return props[key];
  } catch (err) {
    if (isUnknownValue(err)) return undefined;
    throw err;
  }
}

export const secretPolicies = [noPlaintextSecrets];
