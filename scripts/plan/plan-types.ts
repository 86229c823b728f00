/** One resource the program declares, as `pulumi preview` would list it. */
export interface PlannedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** The parent's URN; null only for the stack itself. */
  readonly parent: string | null;
  /** True for cloud resources, false for components (and the stack). */
  readonly custom: boolean;
  /** The inputs as sent to the provider; secret values are shown as "[secret]". */
  readonly inputs: Record<string, unknown>;
  /**
   * For each input property, the URNs of the resources its value came from (what the
   * engine calls property dependencies). It is how a reviewer, a test or a policy follows
   * `subnetId` to the subnet without knowing ids a preview cannot know.
   */
  readonly dependencies: Readonly<Record<string, readonly string[]>>;
}

/** A whole stack's plan: the JSON `npm run plan -- --out` writes. */
export interface Plan {
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
}

export const secretMask = "[secret]";
