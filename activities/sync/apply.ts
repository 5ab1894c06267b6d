import { CONFLICTS_DETAIL, type DecidePageResult, type RecordDecision } from '../../domain/sync/decide';
import { refuseWrites, writesIntoParent } from '../../domain/sync/step-rules';
import type { FailureInput, LinkEntity } from '../../domain/sync-state-schemas';
import { InvalidRecordsError } from '../../stores/record-collection';
import type { RecordCollection } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { slicesOf } from './slices';
import type { ChunkContext, Data } from './types';

/*
 * The apply phase of a chunk: its decisions written with bulk writes — targets, then links, deleted links and
 * failures — and the writes the other system refuses turned into failures of their records.
 */

/**
 * Writes a chunk's decisions: targets first, then links, deleted links and failures. Returns the ids of
 * targets that changed since they were read (nothing written to them, nor their links): their records are
 * to be decided again.
 */
export async function applyChunk(
  state: SyncStateStore,
  decided: DecidePageResult,
  c: ChunkContext & { sources: ReadonlyMap<string, Data> },
): Promise<Set<string>> {
  const slices = <T>(list: readonly T[]) => slicesOf(list, c.writeSlice);
  const toBooks = c.step.direction === 'crm_to_books';
  const entity = c.spec.entity as LinkEntity;
  let stale = new Set<string>();
  // Targets first, then links: a retry after a crash in between finds its own creation by id.
  if (decided.writes.length) {
    const written = await writeTargets(c.target, c.targetOrg, decided.writes, c.writeSlice);
    if (written.refused.size) refuseWrites(decided, written.refused, toBooks ? 'Books' : 'CRM', c.sources);
    stale = written.stale;
    // A contact person's link names the person, not the customer written: none of the chunk's links are
    // kept then, and its records are all decided again (staleSources).
    if (stale.size > 0)
      decided.links = writesIntoParent(c.step)
        ? []
        : decided.links.filter((l) => !stale.has(toBooks ? l.booksId : l.crmId));
  }
  for (const slice of slices(decided.links))
    await state.upsertLinks(
      slice.map((l) => ({
        integrationId: c.integrationId,
        entity,
        crmModule: c.spec.crmModule,
        crmId: l.crmId,
        booksId: l.booksId,
        lastSynced: l.lastSynced,
        contentHash: l.contentHash,
        ...(l.parentBooksId === undefined ? {} : { parentBooksId: l.parentBooksId }),
      })),
    );
  if (decided.extraLinks) {
    const { entity: extraEntity, crmModule, links } = decided.extraLinks;
    for (const slice of slices(links))
      await state.upsertLinks(
        slice.map((l) => ({ integrationId: c.integrationId, entity: extraEntity, crmModule, ...l })),
      );
  }
  for (const id of decided.deletedLinks)
    await state.markLinkDeleted(c.integrationId, entity, toBooks ? 'crm' : 'books', id);
  for (const slice of slices(decided.failures))
    await state.recordFailures(
      slice.map((f) => ({
        integrationId: c.integrationId,
        runId: c.runId,
        module: c.spec.module,
        // The step's kind: a contact person's failure is reprocessed by the contact-person step.
        kind: c.step.kind,
        direction: c.step.direction,
        recordId: f.recordId,
        payloadId: f.recordId,
        field: f.field,
        reason: f.reason,
        payload: stripDollarKeys(f.payload),
      })),
    );
  return stale;
}

/**
 * Writes the records the target store accepts: new ones whole, changes of existing ones field by field on the
 * version they were decided on. Returns those the store refuses (its schema is the other system's rule of what
 * a record must be) with the field and reason, to become per-record failures, and those that changed since
 * they were read (stale), to be decided again.
 */
async function writeTargets(
  target: RecordCollection<Data>,
  org: string,
  writes: DecidePageResult['writes'],
  sliceSize: number,
): Promise<{ refused: Map<string, { field: string; reason: string }>; stale: Set<string> }> {
  const refused = new Map<string, { field: string; reason: string }>();
  const stale = new Set<string>();
  const creates = writes.filter((w) => w.expectedModifiedTime === undefined || w.base === undefined);
  const changes = writes.flatMap((w) =>
    w.expectedModifiedTime !== undefined && w.base !== undefined
      ? [{ id: w.id, data: w.data, base: w.base, expectedModifiedTime: new Date(w.expectedModifiedTime) }]
      : [],
  );
  const write = async <W extends { id: string }>(list: W[], send: (part: W[]) => Promise<void>) => {
    for (const slice of slicesOf(list, sliceSize)) {
      let pending = slice;
      for (;;) {
        try {
          if (pending.length) await send(pending);
          break;
        } catch (err) {
          if (!(err instanceof InvalidRecordsError)) throw err;
          for (const f of err.failures) {
            const w = pending[f.index];
            if (w) refused.set(w.id, { field: f.field, reason: f.reason });
          }
          const left = pending.filter((w) => !refused.has(w.id));
          // A refusal that names no write of this attempt would repeat forever: it is a fault, not bad input.
          if (left.length === pending.length) throw err;
          pending = left;
        }
      }
    }
  };
  await write(creates, async (part) => {
    await target.upsertMany(org, part);
  });
  await write(changes, async (part) => {
    for (const id of (await target.patchMany(org, part)).stale) stale.add(id);
  });
  return { refused, stale };
}

/**
 * Puts every field changed on both sides since the last sync (S9.5) in the audit log, with the rule that
 * decided it: once per run, record and direction.
 */
export async function auditConflicts(
  state: SyncStateStore,
  c: ChunkContext,
  decisions: readonly RecordDecision[],
): Promise<void> {
  const conflicts = decisions.filter((d) => d.detail?.startsWith(CONFLICTS_DETAIL));
  if (conflicts.length === 0) return;
  const at = new Date();
  const direction = c.step.direction.replace(/_/g, ' ');
  await state.appendAudit(
    conflicts.map((d) => ({
      _id: `${c.runId}#conflict#${c.step.kind}#${c.step.direction}#${d.recordId}`,
      at,
      actor: { type: 'workflow' as const, id: c.runId },
      integrationId: c.integrationId,
      action: 'sync_run.conflict',
      entity: c.spec.entity,
      payloadIds: [d.recordId, ...(d.targetId ? [d.targetId] : [])],
      outcome: 'success' as const,
      detail: `${c.spec.module} ${direction}, record ${d.recordId}${d.targetId ? ` → ${d.targetId}` : ''}: ${d.detail}`,
    })),
  );
}

/** The longest key a failure's payload keeps (the failures' field-name rule). */
const MAX_PAYLOAD_KEY = 128;

/** Failure payloads are stored as documents: keys Mongo refuses are dropped (the record id is kept). */
export function stripDollarKeys(data: Data): FailureInput['payload'] {
  return JSON.parse(
    JSON.stringify(data, (key, value: unknown) =>
      key.startsWith('$') || key.includes('.') || key.length > MAX_PAYLOAD_KEY ? undefined : value,
    ),
  ) as FailureInput['payload'];
}
