import { setTimeout as sleep } from "node:timers/promises";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { Client, errors } from "@opensearch-project/opensearch";
import { AwsSigv4Signer } from "@opensearch-project/opensearch/aws-v3";
import { z } from "zod";
import { count } from "../runtime/config.js";
import { ServiceError } from "../runtime/errors.js";
import type { Logger } from "../runtime/logger.js";
import {
  aliasPattern,
  indexVersion,
  productIndexBody,
  productRefreshInterval,
  versionedIndexName,
} from "./index-schema.js";

/** How search reaches its index; shared by the service and the reindex command. */
export const opensearchEnv = {
  OPENSEARCH_ENDPOINT: z
    .url({ protocol: /^https?$/, error: "an http:// or https:// URL" })
    .describe("the OpenSearch endpoint, e.g. https://vpc-....es.amazonaws.com"),
  AWS_REGION: z
    .string()
    .optional()
    .describe("when set, requests are SigV4-signed for Amazon OpenSearch Service (credentials from IRSA)"),
  SEARCH_INDEX_ALIAS: z
    .string()
    .regex(aliasPattern, { error: "a lowercase index name such as products" })
    .default("products")
    .describe("the alias searched and written; it points at <alias>-v<N>"),
  SEARCH_INDEX_REPLICAS: count
    .default(2)
    .describe("replicas of a new index: 2 keeps a copy in each of three zones; 0 on one node"),
};

export type OpenSearchConfig = z.output<z.ZodObject<typeof opensearchEnv>>;

/**
 * The OpenSearch client: plain HTTP locally; with AWS_REGION, every request is signed with
 * SigV4 using the default AWS credential chain (the pod's IRSA web identity in production).
 */
export function connectOpenSearch(config: Pick<OpenSearchConfig, "OPENSEARCH_ENDPOINT" | "AWS_REGION">) {
  const options = { node: config.OPENSEARCH_ENDPOINT, requestTimeout: 10_000, maxRetries: 2 };
  if (!config.AWS_REGION) return new Client(options);
  // One provider for the process: it caches credentials and refreshes them before they expire.
  const credentials = defaultProvider();
  return new Client({
    ...AwsSigv4Signer({ region: config.AWS_REGION, service: "es", getCredentials: () => credentials() }),
    ...options,
  });
}

export const isResponseError = (err: unknown, status?: number, type?: string): boolean =>
  err instanceof errors.ResponseError &&
  (status === undefined || err.statusCode === status) &&
  (type === undefined || (err.meta.body as { error?: { type?: string } })?.error?.type === type);

/** OpenSearch unreachable, slow, or without the index: callers should retry later. */
export function unavailable(err: unknown): ServiceError | undefined {
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError ||
    isResponseError(err, 503) ||
    isResponseError(err, 429)
  )
    return new ServiceError("unavailable", `search index unavailable: ${(err as Error).message}`);
  if (isResponseError(err, 404, "index_not_found_exception"))
    return new ServiceError("unavailable", "the search index does not exist yet");
  return undefined;
}

/** Waits until OpenSearch answers, or fails after `timeoutMs` with the last error named. */
export async function waitForOpenSearch(client: Client, logger: Logger, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      await client.cluster.health({ wait_for_status: "yellow", timeout: "5s" });
      return;
    } catch (err) {
      if (Date.now() + delay > deadline)
        throw new Error(`OpenSearch did not answer within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      logger.warn({ err: (err as Error).message }, "waiting for OpenSearch");
      await sleep(delay);
    }
  }
}

/** The index the alias points at, or undefined when the alias does not exist. */
export async function aliasTarget(client: Client, alias: string): Promise<string | undefined> {
  try {
    const res = await client.indices.getAlias({ name: alias });
    const indices = Object.keys(res.body as Record<string, unknown>);
    if (indices.length !== 1)
      throw new Error(
        `alias ${alias} points at ${indices.length} indices (${indices.join(", ")}), expected one`,
      );
    return indices[0];
  } catch (err) {
    if (isResponseError(err, 404)) return undefined;
    throw err;
  }
}

/** Creates a versioned index, optionally as the alias's write index. */
export async function createVersionedIndex(
  client: Client,
  config: Pick<OpenSearchConfig, "SEARCH_INDEX_ALIAS" | "SEARCH_INDEX_REPLICAS">,
  version: number,
  options: { withAlias: boolean },
): Promise<string> {
  const alias = config.SEARCH_INDEX_ALIAS;
  const index = versionedIndexName(alias, version);
  await client.indices.create({
    index,
    body: {
      ...productIndexBody(config.SEARCH_INDEX_REPLICAS),
      ...(options.withAlias ? { aliases: { [alias]: { is_write_index: true } } } : {}),
    },
  });
  return index;
}

/**
 * Gives an index created before `productRefreshInterval` was part of its settings the same
 * interval (a dynamic setting: no reindex needed), so no shard of it goes search idle.
 */
export async function ensureRefreshInterval(client: Client, index: string, logger: Logger): Promise<void> {
  const res = await client.indices.getSettings({
    index,
    name: "index.refresh_interval",
    flat_settings: true,
  });
  const settings = (res.body as Record<string, { settings?: Record<string, string> }>)[index]?.settings;
  if (settings?.["index.refresh_interval"] === productRefreshInterval) return;
  await client.indices.putSettings({ index, body: { "index.refresh_interval": productRefreshInterval } });
  logger.info({ index, refreshInterval: productRefreshInterval }, "set the search index's refresh interval");
}

/**
 * Makes sure the alias exists: creates `<alias>-v1` with the alias on a fresh cluster.
 * Index and alias are created in one step, so a second instance starting at the same
 * moment sees "already exists" and then finds the alias.
 */
export async function ensureAlias(client: Client, config: OpenSearchConfig, logger: Logger): Promise<string> {
  const alias = config.SEARCH_INDEX_ALIAS;
  const existing = await aliasTarget(client, alias);
  if (existing) {
    if (indexVersion(alias, existing) === undefined)
      logger.warn({ alias, index: existing }, "the alias points at an index not named <alias>-v<N>");
    await ensureRefreshInterval(client, existing, logger);
    return existing;
  }
  try {
    const index = await createVersionedIndex(client, config, 1, { withAlias: true });
    logger.info({ alias, index }, "created the search index");
    return index;
  } catch (err) {
    if (!isResponseError(err, 400, "resource_already_exists_exception")) throw err;
  }
  const target = await aliasTarget(client, alias);
  if (!target)
    throw new Error(
      `index ${versionedIndexName(alias, 1)} exists but alias ${alias} does not: point the alias at it ` +
        `(POST _aliases {"actions":[{"add":{"index":"${versionedIndexName(alias, 1)}","alias":"${alias}","is_write_index":true}}]}) or delete it`,
    );
  return target;
}
