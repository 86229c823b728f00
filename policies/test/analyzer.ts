/**
 * Drives the real pack the way the Pulumi CLI does, without the CLI: starts it through
 * @pulumi/pulumi's `run-policy-pack` (the program the nodejs language host runs for a
 * `--policy-pack`), reads the port it prints, and speaks the Analyzer gRPC protocol to it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { PlannedResource } from "../../scripts/plan/plan-types.js";
import type { ResolvedConfig } from "../../scripts/policy/config.js";

// The protocol's generated code and gRPC come with @pulumi/pulumi; load the very copies it uses.
const fromPulumi = createRequire(createRequire(import.meta.url).resolve("@pulumi/pulumi"));
const grpc = fromPulumi("@grpc/grpc-js");
const analyzer = fromPulumi("./proto/analyzer_pb.js");
const { AnalyzerClient } = fromPulumi("./proto/analyzer_grpc_pb.js");
const { Struct } = fromPulumi("google-protobuf/google/protobuf/struct_pb.js");
const { Empty } = fromPulumi("google-protobuf/google/protobuf/empty_pb.js");

const policiesDir = dirname(import.meta.dirname);
const runPolicyPack = join(dirname(fromPulumi.resolve("./package.json")), "cmd/run-policy-pack");
const levels = ["advisory", "mandatory", "disabled", "remediate"] as const;

export interface Diagnostic {
  readonly policy: string;
  readonly level: string;
  readonly message: string;
  readonly urn?: string;
}

type Call = (request: unknown, callback: (err: Error | null, response: never) => void) => void;

export class PackUnderTest {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: Record<string, Call> & { close(): void },
  ) {}

  /** Starts the pack in policies/ as the CLI would and connects to it. */
  static async start(): Promise<PackUnderTest> {
    const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", "."], { cwd: policiesDir });
    let stderr = "";
    child.stderr!.on("data", (chunk) => (stderr += chunk));
    const port = await new Promise<string>((resolve, reject) => {
      child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim()));
      child.once("exit", (code) => reject(new Error(`the pack exited (${code}) before serving:\n${stderr}`)));
    });
    return new PackUnderTest(
      child,
      new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()),
    );
  }

  private call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) =>
      this.client[method]!.call(this.client, request, (err, response) =>
        err ? reject(err) : resolve(response as T),
      ),
    );
  }

  /** The policies the pack announces: name, enforcement level and config schema. */
  async info() {
    const response = await this.call<{ getPoliciesList(): never[] }>("getAnalyzerInfo", new Empty());
    return response.getPoliciesList().map((p: Record<string, () => never>) => ({
      name: p["getName"]!() as string,
      level: levels[p["getEnforcementlevel"]!()],
      config: ((p["getConfigschema"]!() as { getProperties(): { toJavaScript(): unknown } } | undefined)
        ?.getProperties()
        ?.toJavaScript() ?? {}) as Record<string, { default?: unknown }>,
    }));
  }

  /** Sends the reconciled config, as the engine does before analysing. */
  async configure(config: ReadonlyMap<string, ResolvedConfig>) {
    const request = new analyzer.ConfigureAnalyzerRequest();
    for (const [name, c] of config) {
      const policyConfig = new analyzer.PolicyConfig();
      policyConfig.setEnforcementlevel(levels.indexOf(c.enforcementLevel as never));
      policyConfig.setProperties(Struct.fromJavaScript(c.properties));
      request.getPolicyconfigMap().set(name, policyConfig);
    }
    await this.call("configure", request);
  }

  /** Fills what AnalyzeRequest and AnalyzerResource share: identity, inputs, options. */
  private static describe<T extends Record<string, (value: never) => void>>(
    message: T,
    r: PlannedResource,
  ): T {
    const m = message as unknown as Record<string, (value: unknown) => void>;
    m["setUrn"]!.call(message, r.urn);
    m["setType"]!.call(message, r.type);
    m["setName"]!.call(message, r.name);
    m["setProperties"]!.call(message, Struct.fromJavaScript(r.inputs));
    const options = new analyzer.AnalyzerResourceOptions();
    if (r.parent) options.setParent(r.parent);
    m["setOptions"]!.call(message, options);
    return message;
  }

  private static diagnostics(response: {
    getDiagnosticsList(): Record<string, () => never>[];
  }): Diagnostic[] {
    return response.getDiagnosticsList().map((d) => ({
      policy: d["getPolicyname"]!(),
      level: levels[d["getEnforcementlevel"]!()]!,
      // The server prefixes each message with the policy's description.
      message: (d["getMessage"]!() as string).split("\n").slice(1).join("\n"),
      ...(d["getUrn"]!() ? { urn: d["getUrn"]!() as string } : {}),
    }));
  }

  /** `Analyze` for each resource, then `AnalyzeStack` over all: what a preview sends. */
  async analyze(resources: readonly PlannedResource[]): Promise<Diagnostic[]> {
    const found: Diagnostic[] = [];
    for (const r of resources) {
      const request = PackUnderTest.describe(new analyzer.AnalyzeRequest(), r);
      // The engine files a resource's diagnostics under that resource.
      const diagnostics = PackUnderTest.diagnostics(await this.call("analyze", request));
      found.push(...diagnostics.map((d) => ({ ...d, urn: d.urn ?? r.urn })));
    }
    const stack = new analyzer.AnalyzeStackRequest();
    stack.setResourcesList(
      resources.map((r) => {
        const resource = PackUnderTest.describe(new analyzer.AnalyzerResource(), r);
        if (r.parent) resource.setParent(r.parent);
        resource.setDependenciesList([...new Set(Object.values(r.dependencies).flat())]);
        for (const [property, urns] of Object.entries(r.dependencies)) {
          const deps = new analyzer.AnalyzerPropertyDependencies();
          deps.setUrnsList([...urns]);
          resource.getPropertydependenciesMap().set(property, deps);
        }
        return resource;
      }),
    );
    found.push(...PackUnderTest.diagnostics(await this.call("analyzeStack", stack)));
    return found;
  }

  stop() {
    this.client.close();
    this.child.kill();
  }
}
