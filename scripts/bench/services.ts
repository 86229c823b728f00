/** The services the bench runs; search and notifications consume nothing it measures. */
export const benchServices = ["catalog", "identity", "orders", "audit", "gateway"];
