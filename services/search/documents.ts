import { z } from "zod";
import type { Product } from "../gen/platform/catalog/v1/catalog_pb.js";
import { UnprocessableEventError } from "../runtime/consumer.js";
import type { CloudEvent } from "../runtime/events.js";

/**
 * A product as the catalog publishes it in `data.product` of its events (its state after
 * the change), and as the index stores it. `version` orders the states of one product.
 */
export const productState = z.object({
  id: z.string().min(1),
  sku: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  // Minor units as a decimal string (PostgreSQL bigint): never a float on the way.
  price_minor: z.string().regex(/^\d{1,18}$/, { error: "a whole number of minor units as a string" }),
  currency: z.string(),
  stock: z.number().int(),
  version: z.number().int().positive(),
  created_at: z.iso.datetime({ offset: true }),
  updated_at: z.iso.datetime({ offset: true }),
});

export type ProductDocument = z.output<typeof productState>;

/**
 * The product an event carries, when it is a catalog product event; undefined for events
 * about other entities. A product event whose product is malformed is unprocessable: the
 * consumer parks it on the dead-letter topic at once (retrying cannot fix it).
 */
export function productFromEvent(event: CloudEvent): ProductDocument | undefined {
  if (event.entitytype !== "product" || !event.type.startsWith("platform.catalog.product.")) return undefined;
  const product = (event.data as { product?: unknown } | null)?.product;
  // The catalog deletes no product; a deletion (`product: null`) would need the deleted
  // version to be applied in order, so it is refused rather than guessed at.
  if (product === null)
    throw new UnprocessableEventError(`${event.type} ${event.id}: deletions are not indexed`, event.id);
  const parsed = productState.safeParse(product);
  if (!parsed.success)
    throw new UnprocessableEventError(
      `${event.type} ${event.id} carries no valid data.product: ${parsed.error.issues
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")}`,
      event.id,
    );
  return parsed.data;
}

/** A product of the catalog's ListProducts as the index stores it (the reindex's source). */
export function productFromCatalog(p: Product): ProductDocument {
  return productState.parse({
    id: p.id,
    sku: p.sku,
    name: p.name,
    description: p.description,
    category: p.category,
    price_minor: String(p.price?.amountMinor ?? 0n),
    currency: p.price?.currency ?? "",
    stock: p.stock,
    version: p.version,
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  });
}
