import type { Client } from "@opensearch-project/opensearch";
import type { ProductDocument } from "./documents.js";

/**
 * Writes product documents with external versioning: the document's version is the
 * catalog's `version`, and OpenSearch keeps a write only when it is newer than the stored
 * one. So events may arrive twice, late or out of order (and a reindex may copy a product
 * while its event is in flight): the newest state wins and nothing needs a dedupe table.
 */

/** Strictly newer versions win; an equal version is the same state, so it is a no-op. */
const versioned = (product: ProductDocument) => ({
  version: product.version,
  version_type: "external" as const,
});

interface BulkItem {
  readonly index?: { _id?: string; status: number; error?: { type?: string; reason?: string } };
}

/**
 * Stores products in `target` (the alias, or an index) in one request. A version conflict is
 * success: the stored document is at least as new. `require_alias` makes a write to a
 * missing alias fail instead of creating an index with guessed mappings. Throws naming the
 * first failure that is not a conflict.
 */
export async function writeProducts(
  client: Client,
  target: string,
  products: readonly ProductDocument[],
  options: { requireAlias: boolean } = { requireAlias: true },
): Promise<{ indexed: number; stale: number }> {
  if (products.length === 0) return { indexed: 0, stale: 0 };
  const body = products.flatMap((p) => [{ index: { _index: target, _id: p.id, ...versioned(p) } }, p]);
  const res = await client.bulk({ body, ...(options.requireAlias ? { require_alias: true } : {}) });
  const items = (res.body as { items: BulkItem[] }).items;
  let stale = 0;
  for (const item of items) {
    const result = item.index;
    if (!result) continue;
    if (result.status === 409) stale++;
    else if (result.error)
      throw new Error(
        `bulk indexing into ${target} failed for ${result._id}: ${result.error.type}: ${result.error.reason}`,
      );
  }
  return { indexed: items.length - stale, stale };
}
