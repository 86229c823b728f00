/** AWS tags every component applies to each taggable child; derived once from the stack spec. */
export type Tags = Readonly<Record<string, string>>;

/** The tags of one child: the common tags plus its `Name`, and any extras it needs. */
export function tagged(tags: Tags, name: string, extra: Tags = {}): Record<string, string> {
  return { ...tags, ...extra, Name: name };
}
