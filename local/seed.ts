import { CatalogService } from "../services/gen/platform/catalog/v1/catalog_pb.js";
import { IdentityService } from "../services/gen/platform/identity/v1/identity_pb.js";
import type { CallerIdentity } from "../services/runtime/rpc/caller-identity.js";
import { createClient } from "../services/runtime/rpc/client.js";

export const demoUser = {
  email: "demo@platform.local",
  password: "demo-password-2026",
  name: "Demo Shopper",
};

const admin = { userId: "seed", roles: ["admin"], method: "seed" };

/** Products a new user can browse and search at once. Prices in cents. */
const demoProducts = [
  {
    sku: "TRAIL-SHOE-42",
    name: "Trail running shoe",
    category: "shoes",
    price: 12999n,
    stock: 40,
    description: "Grippy outsole, breathable mesh upper.",
  },
  {
    sku: "ROAD-SHOE-41",
    name: "Road running shoe",
    category: "shoes",
    price: 10999n,
    stock: 35,
    description: "Light and cushioned for long runs.",
  },
  {
    sku: "RAIN-JACKET-M",
    name: "Waterproof rain jacket",
    category: "jackets",
    price: 15900n,
    stock: 20,
    description: "Taped seams, packs into its own pocket.",
  },
  {
    sku: "WOOL-SOCKS-3",
    name: "Merino wool socks, 3 pairs",
    category: "socks",
    price: 2499n,
    stock: 200,
    description: "Warm when wet, no itch.",
  },
  {
    sku: "HEADLAMP-400",
    name: "Rechargeable headlamp 400 lm",
    category: "gear",
    price: 4599n,
    stock: 60,
    description: "USB-C, red light mode, 40 h runtime.",
  },
  {
    sku: "BOTTLE-750",
    name: "Insulated bottle 750 ml",
    category: "gear",
    price: 2999n,
    stock: 120,
    description: "Cold for 24 h, hot for 12 h.",
  },
];

/**
 * Seeds demo products (once: skipped when the catalog has any) and the demo user
 * (idempotent), calling the services as `caller` (the gateway's identity: it alone may name
 * an admin principal).
 */
export async function seedDemoData(
  addresses: { catalog?: string; identity?: string },
  caller: CallerIdentity,
): Promise<string[]> {
  const done: string[] = [];
  if (addresses.catalog) {
    const catalog = createClient(CatalogService, addresses.catalog, {
      timeoutMs: 5_000,
      caller: caller.towards("catalog"),
    });
    try {
      const existing = await catalog.listProducts({ page: { limit: 1 } });
      if (existing.products.length === 0) {
        for (const p of demoProducts) {
          await catalog.createProduct({
            principal: admin,
            ...p,
            price: { amountMinor: p.price, currency: "EUR" },
          });
        }
        done.push(`${demoProducts.length} demo products`);
      }
    } finally {
      catalog.close();
    }
  }
  if (addresses.identity) {
    const identity = createClient(IdentityService, addresses.identity, {
      timeoutMs: 5_000,
      caller: caller.towards("identity"),
    });
    try {
      // Sign-up answers the same whether the account exists or not (and leaves an existing one
      // as it is), so seeding it again is harmless.
      await identity.signUp(demoUser);
      done.push(`demo user ${demoUser.email}`);
    } finally {
      identity.close();
    }
  }
  return done;
}
