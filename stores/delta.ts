import type { Collection, Document, Filter, WithId } from 'mongodb';
import { z } from 'zod';
import { DeltaCursorSchema, type DeltaCursor } from '../domain/sync-state-schemas';

/*
 * Delta reads (S3.1, S9.4): every store orders its records by (modifiedTime, _id) and pages strictly after a
 * cursor, so records sharing a modified time are each read exactly once, and a record written again moves
 * past every cursor that has seen it (see nextModifiedTime).
 *
 * A modified time is taken before the write that carries it becomes visible, so a reader may page past a
 * stamp whose write commits later, behind its cursor. Two rules keep that from losing a change (the README's
 * "Why the delta cursor loses nothing" gives the argument):
 * - writers stamp each write command just before sending it, and a command acknowledged more than
 *   LATE_WRITE_MS after its stamp stamps its records again (see isLateWrite), so every change ends up visible
 *   within WRITE_SETTLE_MS of its final stamp;
 * - a reader that saves its position never saves it past `settledBefore`, the time WRITE_SETTLE_MS before it
 *   started reading (see settledCursor): what lies beyond is read again by the next run, where content
 *   hashes make the repeat a no-op.
 */

export type { DeltaCursor };

/** The index every delta-read collection declares (scoped by org). */
export const DELTA_INDEX_KEY = { org: 1, modifiedTime: 1, _id: 1 } as const;
export const DELTA_INDEX_NAME = 'org_modifiedTime_id';

/** The delta index for a collection scoped by another field, e.g. `integrationId` for links. */
export function deltaIndexKey(scopeField: string): Record<string, 1> {
  return { [scopeField]: 1, modifiedTime: 1, _id: 1 };
}

/**
 * The latest modified time a delta read after a cursor finds: 2286-11-20, the last date whose milliseconds
 * have 13 digits (what our FerretDB build can range over in an index, scripts/ferretdb/cbs_pushdown.go).
 * Writers stamp the clock's time (nextModifiedTime).
 */
export const LAST_MODIFIED_TIME = new Date(9_999_999_999_999);

/** The most a single delta page may hold: larger pages belong in several activities. */
export const MAX_DELTA_PAGE = 50_000;

export interface FindChangedSinceOptions<T extends Document> {
  /** The scope value (the org id, or the integration id with `scopeField: 'integrationId'`). */
  org: string;
  /** Read strictly after this position; from the beginning when absent. */
  after?: DeltaCursor | null;
  limit: number;
  /**
   * Only records modified strictly before this time. A poller passes "now minus a settle lag" so a write
   * that took its modified time before a slower concurrent write cannot commit behind the cursor unseen.
   */
  before?: Date;
  /** Further conditions from the calling store; must not use the scope field, modifiedTime, _id or $or. */
  extraFilter?: Filter<T>;
  /** The field the delta index is scoped by; `org` unless said otherwise. */
  scopeField?: string;
}

export interface DeltaPage<T> {
  docs: T[];
  /** Where to read the next page from; null when nothing more was there at the time of the read. */
  next: DeltaCursor | null;
  /**
   * Where a later poll should resume: after the last record read, or `after` unchanged when the page was
   * empty. Save this one when the read is exhausted (`next` is null).
   */
  position: DeltaCursor | null;
}

const OptionsSchema = z.object({
  org: z.string().min(1).max(600),
  after: DeltaCursorSchema.nullish(),
  limit: z.number().int().positive().max(MAX_DELTA_PAGE),
  before: z.date().optional(),
  scopeField: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/)
    .default('org'),
});

/** The cursor of a stored document: its modified time and id. Throws when the document has neither. */
export function cursorOf(doc: { _id?: unknown; modifiedTime?: unknown }): DeltaCursor {
  if (typeof doc._id !== 'string' || !(doc.modifiedTime instanceof Date))
    throw new Error('a delta-read document needs a string _id and a Date modifiedTime');
  return { modifiedTime: doc.modifiedTime.toISOString(), id: doc._id };
}

/**
 * The filter, sort and limit findChangedSince sends (exported so tests can `explain` exactly that query):
 * the scope's equality and the (modifiedTime, _id) range, the delta index's prefix and order. Throws a
 * ZodError for a bad org, cursor or limit, and for an extra filter on a field the delta read owns.
 */
export function deltaQuery<T extends Document>(
  options: FindChangedSinceOptions<T>,
): { filter: Filter<T>; sort: { modifiedTime: 1; _id: 1 }; limit: number; after: DeltaCursor | null } {
  const { org, after, limit, before, scopeField } = OptionsSchema.parse(options);
  const extra: Document = options.extraFilter ?? {};
  for (const key of [scopeField, 'modifiedTime', '_id', '$or'])
    if (key in extra) throw new Error(`extraFilter must not constrain ${key}: the delta read owns it`);

  const filter: Document = { ...extra, [scopeField]: org };
  if (after) {
    const time = new Date(after.modifiedTime);
    // The range at the top as well as in the $or: a server answers it from the index without reading the
    // $or (our FerretDB build needs both ends of a date range to use an index, so there is always an end).
    filter.modifiedTime = before ? { $gte: time, $lt: before } : { $gte: time, $lte: LAST_MODIFIED_TIME };
    filter.$or = [{ modifiedTime: { $gt: time } }, { modifiedTime: time, _id: { $gt: after.id } }];
  } else if (before) filter.modifiedTime = { $lt: before };
  return { filter: filter as Filter<T>, sort: { modifiedTime: 1, _id: 1 }, limit, after: after ?? null };
}

/**
 * Up to `limit` documents of one scope ordered by (modifiedTime, _id), strictly after `after`, and the cursors
 * to go on from. Read-only, so safe to retry. Throws a ZodError for a bad org, cursor or limit (never turns
 * them into a filter) and the driver's error when the server fails.
 */
export async function findChangedSince<T extends Document>(
  collection: Collection<T>,
  options: FindChangedSinceOptions<T>,
): Promise<DeltaPage<WithId<T>>> {
  const { filter, sort, limit, after } = deltaQuery(options);
  // One more than asked tells whether the read is exhausted without a second query.
  const found = await collection
    .find(filter)
    .sort(sort)
    .limit(limit + 1)
    .toArray();
  const docs = found.slice(0, limit);
  const last = docs[docs.length - 1];
  const position = last ? cursorOf(last) : after;
  return { docs, next: found.length > limit ? position : null, position };
}

/**
 * The modified time for a write to a document last modified at `previous`: now, or 1 ms past `previous` when
 * the clock has not moved past it (same millisecond, or a clock that stepped back). So every write moves the
 * record strictly after any cursor that has already seen it. Pure; `now` is injectable for tests.
 */
export function nextModifiedTime(previous?: Date | null, now: Date = new Date()): Date {
  if (previous && now.getTime() <= previous.getTime()) return new Date(previous.getTime() + 1);
  return now;
}

/**
 * The bound on how long a stamped write may take to become visible: a reader re-reads this much behind where
 * it stopped. 30 s: a write command here takes well under a second (an update command of 50 records on
 * FerretDB about 0.15 s), and a run that starts within the window of a burst of changes reads the burst again
 * (bench delta-window), so the window is kept short.
 */
export const WRITE_SETTLE_MS = 30_000;

/**
 * A write command acknowledged this long after its stamp is late: its records are stamped again. Half the
 * settle margin, so that writers' clocks may run up to 15 s apart from the reader's.
 */
export const LATE_WRITE_MS = WRITE_SETTLE_MS / 2;

/** Whether a write stamped at `stamp` and acknowledged at `acknowledged` must stamp its records again. */
export function isLateWrite(stamp: Date, acknowledged: Date): boolean {
  return acknowledged.getTime() - stamp.getTime() > LATE_WRITE_MS;
}

/** The settled boundary of a read that starts at `readStart`: every change stamped before it is visible. */
export function settledBoundary(readStart: Date, settleMs: number = WRITE_SETTLE_MS): Date {
  return new Date(readStart.getTime() - settleMs);
}

/**
 * The position a reader may save after reading up to `position`: that position when it lies before
 * `settledBefore`, else just before `settledBefore` (everything from there on is read again next time), and
 * never behind `floor` (the position the reading started from). Null when nothing was ever read.
 */
export function settledCursor(
  position: DeltaCursor | null,
  settledBefore: Date,
  floor: DeltaCursor | null = null,
): DeltaCursor | null {
  if (!position) return floor;
  const bound = settledBefore.getTime();
  if (new Date(position.modifiedTime).getTime() < bound) return position;
  // Strictly after (bound - 1 ms, "~"): "~" sorts after every character an id may hold, so every record
  // stamped at `bound` or later is read again, and nothing before it.
  const clamped: DeltaCursor = { modifiedTime: new Date(bound - 1).toISOString(), id: '~' };
  return floor && compareCursors(floor, clamped) > 0 ? floor : clamped;
}

/**
 * A position before every record (none is stamped at the epoch, no key starts below " "): where a reader that
 * found nothing yet keeps what it must remember, e.g. the change-marker token its read vouches for.
 */
export const START_CURSOR: DeltaCursor = Object.freeze({ modifiedTime: new Date(0).toISOString(), id: ' ' });

/** Orders two cursors by (modifiedTime, id). */
export function compareCursors(a: DeltaCursor, b: DeltaCursor): number {
  const ta = new Date(a.modifiedTime).getTime();
  const tb = new Date(b.modifiedTime).getTime();
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
