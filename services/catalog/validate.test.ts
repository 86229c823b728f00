import { describe, expect, it } from "vitest";
import { productLimits, validateCategoryFilter, validateProductFields } from "./validate.js";

const refusal = (work: () => void) => {
  try {
    work();
  } catch (err) {
    return (err as { details?: unknown; message: string }).message;
  }
  return undefined;
};

// PostgreSQL refuses U+0000 in text: a product named with one failed its INSERT, and the
// client got a 502 for its own mistake. The gateway's document states the same rules.
describe("product fields", () => {
  it("refuses a name with a NUL or another control character, before PostgreSQL would fail", () => {
    for (const name of ["Shoe\u0000", "Shoe\u0007", "Shoe\nBox"])
      expect(refusal(() => validateProductFields({ name }))).toBe("invalid product");
  });

  it("refuses a NUL in a description, which may still hold line breaks and tabs", () => {
    expect(refusal(() => validateProductFields({ description: "Grippy\u0000" }))).toBe("invalid product");
    expect(refusal(() => validateProductFields({ description: "Grippy.\n\tBreathable." }))).toBeUndefined();
  });

  it("takes a price up to its stated maximum and no further", () => {
    const max = BigInt(productLimits.maxPriceMinor);
    expect(refusal(() => validateProductFields({ priceMinor: max }))).toBeUndefined();
    expect(refusal(() => validateProductFields({ priceMinor: max + 1n }))).toBe("invalid product");
  });
});

describe("the listing's category filter", () => {
  it("refuses text no category could be, a NUL included, before it reaches PostgreSQL", () => {
    for (const filter of ["shoes\u0000", "Shoes", " shoes"])
      expect(refusal(() => validateCategoryFilter(filter))).toBe("invalid category filter");
  });

  it("takes a category, or no filter", () => {
    expect(refusal(() => validateCategoryFilter("trail-shoes"))).toBeUndefined();
    expect(refusal(() => validateCategoryFilter(""))).toBeUndefined();
  });
});
