import type { AuditEvent, AuditService } from "../gen/platform/audit/v1/audit_pb.js";
import { invalidArgument } from "../runtime/errors.js";
import type { Database } from "../runtime/postgres.js";
import type { Handlers } from "../runtime/rpc/server.js";
import { reader, requireActorReader, requireAdmin, requireEntityReader } from "./access.js";
import { canonicalJson } from "./chain.js";
import { foldEntity, stateJson } from "./fold.js";
import type { PublishedHead } from "./head.js";
import { pageOf, pageRequest } from "./paging.js";
import { chainFrom, entityOwner, entityTimeline, listEvents, type StoredEvent } from "./store.js";
import { isRfc3339 } from "./time.js";
import { verifyChain } from "./verify.js";

type AuditEventMessage = Omit<AuditEvent, "$typeName">;

/** The served form of a stored event: the same fields, with JSON data and empty strings for nulls. */
const toMessage = ({
  sequence,
  actor,
  traceId,
  data,
  recordedAt: _,
  ...same
}: StoredEvent): AuditEventMessage => ({
  ...same,
  sequence: BigInt(sequence),
  actor: actor ?? "",
  traceId: traceId ?? "",
  dataJson: canonicalJson(data),
});

function entityInput(entityType: string, entityId: string) {
  const problems: Record<string, string> = {};
  if (!/^[a-z][a-z0-9_-]{0,63}$/.test(entityType))
    problems["entityType"] = 'a lowercase name such as "order"';
  if (entityId.length < 1 || entityId.length > 256) problems["entityId"] = "1 to 256 characters";
  if (Object.keys(problems).length > 0) throw invalidArgument("not an entity", problems);
  return { entityType, entityId };
}

function required(field: string, value: string, rule: RegExp, expected: string): string {
  if (!rule.test(value)) throw invalidArgument(`invalid ${field}`, { [field]: expected });
  return value;
}

export interface AuditOptions {
  /** Rows VerifyChain reads per query. */
  readonly verifyBatchSize: number;
  /** The newest head published to write-once storage (head-publisher.ts), checked by VerifyChain. */
  readonly publishedHead: () => Promise<{ readonly head?: PublishedHead; readonly problem?: string }>;
}

/** The audit trail's RPCs: reads only; events arrive through the consumer (server.ts). */
export function auditHandlers(db: Database, options: AuditOptions): Handlers<typeof AuditService> {
  return {
    async historyByEntity(request) {
      const who = reader(request.principal);
      const entity = entityInput(request.entityType, request.entityId);
      const { after, limit } = pageRequest(request.page);
      await requireEntityReader(who, entity, () => entityOwner(db, entity.entityType, entity.entityId));
      const page = pageOf(await listEvents(db, entity, after, limit + 1), limit);
      return { events: page.items.map(toMessage), nextCursor: page.nextCursor };
    },

    async historyByActor(request) {
      const who = reader(request.principal);
      const actor = required("actor", request.actor, /^.{1,256}$/s, "1 to 256 characters");
      const { after, limit } = pageRequest(request.page);
      requireActorReader(who, actor);
      const page = pageOf(await listEvents(db, { actor }, after, limit + 1), limit);
      return { events: page.items.map(toMessage), nextCursor: page.nextCursor };
    },

    async historyByTrace(request) {
      const who = reader(request.principal);
      requireAdmin(who, "follow a trace across services");
      const traceId = required(
        "traceId",
        request.traceId,
        /^(?!0{32})[0-9a-f]{32}$/,
        "a W3C trace id: 32 hex digits",
      );
      // Paged like the other histories: a trace is usually a handful of events, but nothing
      // bounds how many share one trace id, so neither may the answer.
      const { after, limit } = pageRequest(request.page);
      const page = pageOf(await listEvents(db, { traceId }, after, limit + 1), limit);
      return { events: page.items.map(toMessage), nextCursor: page.nextCursor };
    },

    async stateAt(request) {
      const who = reader(request.principal);
      const entity = entityInput(request.entityType, request.entityId);
      if (request.at && !isRfc3339(request.at))
        throw invalidArgument("at is not a timestamp", { at: "RFC 3339, e.g. 2025-01-31T12:00:00Z" });
      await requireEntityReader(who, entity, () => entityOwner(db, entity.entityType, entity.entityId));
      const timeline = await entityTimeline(db, entity.entityType, entity.entityId, request.at || undefined);
      // Only the last state-carrying event can decide the fold, so the store reads just that one.
      const state = foldEntity(entity.entityType, timeline.lastSnapshot ? [timeline.lastSnapshot] : []);
      return { stateJson: stateJson(state), eventsApplied: timeline.applied };
    },

    async verifyChain(request, call) {
      requireAdmin(reader(request.principal), "verify the audit chain");
      const published = await options.publishedHead();
      if (published.problem)
        return { valid: false, eventsChecked: 0n, firstBrokenSequence: 0n, reason: published.problem };
      const verdict = await verifyChain(chainFrom(db, options.verifyBatchSize), call.signal, published.head);
      return {
        valid: verdict.valid,
        eventsChecked: BigInt(verdict.eventsChecked),
        firstBrokenSequence: BigInt(verdict.firstBreak?.sequence ?? 0),
        reason: verdict.firstBreak?.reason ?? "",
      };
    },
  };
}
