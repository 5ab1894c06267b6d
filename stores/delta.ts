import type { Collection, Document, Filter, WithId } from 'mongodb';
import { z } from 'zod';
import { DeltaCursorSchema, type DeltaCursor } from '../domain/sync-state-schemas';

/*
 * Delta reads (S3.1, S9.4): every store orders its records by (modifiedTime, _id) and pages strictly after a
 * cursor, so records sharing a modified time are each read exactly once, and a record written again moves
 * past every cursor that has seen it (see nextModifiedTime).
 */

export type { DeltaCursor };

/** The index every delta-read collection declares (scoped by org). */
export const DELTA_INDEX_KEY = { org: 1, modifiedTime: 1, _id: 1 } as const;
export const DELTA_INDEX_NAME = 'org_modifiedTime_id';

/** The delta index for a collection scoped by another field, e.g. `integrationId` for links. */
export function deltaIndexKey(scopeField: string): Record<string, 1> {
  return { [scopeField]: 1, modifiedTime: 1, _id: 1 };
}

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
 * Up to `limit` documents of one scope ordered by (modifiedTime, _id), strictly after `after`, and the cursors
 * to go on from. Read-only, so safe to retry. Throws a ZodError for a bad org, cursor or limit (never turns
 * them into a filter) and the driver's error when the server fails.
 */
export async function findChangedSince<T extends Document>(
  collection: Collection<T>,
  options: FindChangedSinceOptions<T>,
): Promise<DeltaPage<WithId<T>>> {
  const { org, after, limit, before, scopeField } = OptionsSchema.parse(options);
  const extra: Document = options.extraFilter ?? {};
  for (const key of [scopeField, 'modifiedTime', '_id', '$or'])
    if (key in extra) throw new Error(`extraFilter must not constrain ${key}: the delta read owns it`);

  const filter: Document = { ...extra, [scopeField]: org };
  if (after) {
    const time = new Date(after.modifiedTime);
    filter.$or = [{ modifiedTime: { $gt: time } }, { modifiedTime: time, _id: { $gt: after.id } }];
  }
  if (before) filter.modifiedTime = { $lt: before };

  // One more than asked tells whether the read is exhausted without a second query.
  const found = await collection
    .find(filter as Filter<T>)
    .sort({ modifiedTime: 1, _id: 1 })
    .limit(limit + 1)
    .toArray();
  const docs = found.slice(0, limit);
  const last = docs[docs.length - 1];
  const position = last ? cursorOf(last) : (after ?? null);
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
