import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ProductSchema } from "../gen/platform/catalog/v1/catalog_pb.js";
import { UnprocessableEventError } from "../runtime/consumer.js";
import type { CloudEvent } from "../runtime/events.js";
import { productFromCatalog, productFromEvent } from "./documents.js";

const product = {
  id: "0b1e7c3a-7f57-4c2d-9d3e-2f0f1b9b6a11",
  sku: "TRAIL-1",
  name: "Trail shoes",
  description: "Waterproof",
  category: "shoes",
  price_minor: "8999",
  currency: "EUR",
  stock: 5,
  version: 3,
  created_at: "2026-11-25T10:00:00.000Z",
  updated_at: "2026-11-25T11:00:00.000Z",
};

const event = (over: Partial<CloudEvent> = {}): CloudEvent => ({
  specversion: "1.0",
  id: "e-1",
  source: "/platform/catalog",
  type: "platform.catalog.product.updated",
  subject: `product/${product.id}`,
  time: "2026-11-25T11:00:00.000Z",
  datacontenttype: "application/json",
  actor: "u-admin",
  entitytype: "product",
  entityid: product.id,
  data: { product, changed: ["name"] },
  ...over,
});

describe("catalog events as documents", () => {
  it("takes the product's state after the change, version included", () => {
    expect(productFromEvent(event())).toEqual(product);
  });

  it("ignores events about other entities", () => {
    expect(
      productFromEvent(event({ entitytype: "reservation", type: "platform.catalog.reservation.created" })),
    ).toBe(undefined);
  });

  it("refuses a product event without a valid product as unprocessable, so it is dead-lettered at once", () => {
    const malformed = () =>
      productFromEvent(event({ data: { product: { ...product, price_minor: 89.99 } } }));
    expect(malformed).toThrow(UnprocessableEventError);
    expect(malformed).toThrow(/price_minor/);
    expect(() => productFromEvent(event({ data: { product: null } }))).toThrow(/deletions/);
  });
});

describe("catalog listings as documents", () => {
  it("maps a ListProducts product to the same document an event carries", () => {
    const message = create(ProductSchema, {
      ...product,
      price: { amountMinor: 8999n, currency: "EUR" },
      createdAt: product.created_at,
      updatedAt: product.updated_at,
    });
    expect(productFromCatalog(message)).toEqual(product);
  });
});
