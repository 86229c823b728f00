import type { Principal } from "../gen/platform/common/v1/common_pb.js";
import type { NotificationsService } from "../gen/platform/notifications/v1/notifications_pb.js";
import { invalidArgument, notFound, ServiceError } from "../runtime/errors.js";
import type { EventOutbox } from "../runtime/event-wiring.js";
import type { Logger } from "../runtime/logger.js";
import type { Database } from "../runtime/postgres.js";
import type { Handlers } from "../runtime/rpc/server.js";
import type { KeyEncryptionKey } from "../runtime/sealing.js";
import { scopeOf } from "./audience.js";
import { forgetEndpoint } from "./circuits.js";
import { deliveryMessage, listDeliveries } from "./deliveries.js";
import {
  createWebhookInput,
  deliveryCursor,
  listDeliveriesInput,
  requireOwnerOrAdmin,
  requirePrincipal,
  webhookIdInput,
} from "./requests.js";
import { checkTarget, type TargetPolicy, TargetRefused } from "./target-guard.js";
import {
  deleteWebhook,
  findWebhook,
  insertWebhook,
  listWebhooks,
  webhookMessage,
  webhookState,
} from "./webhooks.js";

export interface NotificationsDeps {
  readonly db: Database;
  readonly kek: KeyEncryptionKey;
  readonly outbox: EventOutbox;
  readonly targets: TargetPolicy;
  readonly logger: Logger;
  /** The services whose events this one relays (its registry entry's `consumes`). */
  readonly relayedServices: readonly string[];
}

/**
 * The SSRF guard's verdict as the caller's error: what they may know of it (never what our
 * DNS answered); the whole reason goes to our log.
 */
export async function checkedUrl(
  url: string,
  targets: TargetPolicy,
  logger: Pick<Logger, "warn">,
  userId: string,
): Promise<string> {
  try {
    return (await checkTarget(url, targets)).url.href;
  } catch (err) {
    if (!(err instanceof TargetRefused)) throw err;
    logger.warn({ userId, url, reason: err.reason }, "webhook url refused");
    if (err.temporary) throw new ServiceError("unavailable", err.publicReason);
    throw invalidArgument(`url refused: ${err.publicReason}`, { url: err.publicReason });
  }
}

/** The notifications RPCs: webhook subscriptions and their delivery log. */
export function notificationsHandlers(deps: NotificationsDeps): Handlers<typeof NotificationsService> {
  const { db, kek, outbox, targets, logger, relayedServices } = deps;

  async function ownedWebhook(principal: Principal, id: string) {
    const webhook = await findWebhook(db, id);
    if (!webhook) throw notFound(`webhook ${id}`);
    requireOwnerOrAdmin(principal, webhook.owner_id, `webhook ${id}`);
    return webhook;
  }

  return {
    async createWebhook(request) {
      const principal = requirePrincipal(request.principal);
      const input = createWebhookInput(request, relayedServices);
      const url = await checkedUrl(input.url, targets, logger, principal.userId);
      const { row, secret } = await db.transaction(async (tx) => {
        const created = await insertWebhook(tx, kek, {
          ownerId: principal.userId,
          scope: scopeOf(principal.roles),
          url,
          eventTypes: input.eventTypes,
        });
        await outbox.append(tx, {
          entity: "webhook",
          entityId: created.row.id,
          action: "created",
          actor: principal.userId,
          data: { webhook: webhookState(created.row) },
        });
        return created;
      });
      return { webhook: webhookMessage(row), secret };
    },

    async listWebhooks(request) {
      const principal = requirePrincipal(request.principal);
      return { webhooks: (await listWebhooks(db, principal.userId)).map(webhookMessage) };
    },

    async deleteWebhook(request) {
      const principal = requirePrincipal(request.principal);
      const id = webhookIdInput(request.id);
      const webhook = await ownedWebhook(principal, id);
      await db.transaction(async (tx) => {
        if (!(await deleteWebhook(tx, id))) throw notFound(`webhook ${id}`);
        await forgetEndpoint(tx, { ownerId: webhook.owner_id, url: webhook.url });
        await outbox.append(tx, {
          entity: "webhook",
          entityId: id,
          action: "deleted",
          actor: principal.userId,
          data: { webhook: null },
        });
      });
      return {};
    },

    async listDeliveries(request) {
      const principal = requirePrincipal(request.principal);
      const { webhookId, page } = listDeliveriesInput(request);
      await ownedWebhook(principal, webhookId);
      const rows = await listDeliveries(db, webhookId, { before: page.before, limit: page.limit + 1 });
      const more = rows.length > page.limit;
      const shown = rows.slice(0, page.limit);
      return {
        deliveries: shown.map(deliveryMessage),
        nextCursor: more ? deliveryCursor(shown[shown.length - 1]!.seq) : "",
      };
    },
  };
}
