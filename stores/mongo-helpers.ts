import {
  MongoBulkWriteError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Document,
  type IndexDirection,
  type WriteError,
} from 'mongodb';

/*
 * What every repository does the same way against a Mongo-wire server: telling a refused duplicate from a
 * failure, slicing writes into commands the server answers, creating indexes, dropping undefined members.
 * The server's differences come in as ServerCapabilities (server-capabilities.ts), never probed here.
 */

/** A stored document keyed by a string `_id` (every collection of the stores is). */
export type Stored = Document & { _id: string };

/** Drops undefined members: the driver would store them as null, which the schemas refuse. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** `items` in runs of at most `size` (Infinity: one run); none for no items. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (items.length === 0) return [];
  if (!Number.isFinite(size) || items.length <= size) return [[...items]];
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const DUPLICATE_KEY = 11000;

/** The per-operation errors of a bulk write (the driver gives one or a list). */
export function writeErrorsOf(error: MongoBulkWriteError): WriteError[] {
  return [error.writeErrors].flat().filter((e) => e !== undefined);
}

/**
 * A write refused by a unique index. MongoDB says E11000; FerretDB v1 says so for inserts and upserts, but
 * refuses an update that collides with a unique index as InternalError (code 1) "UNIQUE constraint failed",
 * failing the whole update command (no per-op writeErrors). A bulk counts only when every op it names was
 * refused that way, and never with a write-concern error.
 */
export function isDuplicateKey(error: unknown): boolean {
  const matches = (code: unknown, message: unknown) =>
    code === DUPLICATE_KEY ||
    (code === 1 && typeof message === 'string' && message.includes('UNIQUE constraint failed'));
  if (error instanceof MongoBulkWriteError) {
    if (error.writeConcernError) return false;
    const errors = writeErrorsOf(error);
    return errors.length > 0
      ? errors.every((e) => matches(e.code, e.errmsg))
      : matches(error.code, error.message);
  }
  return error instanceof MongoServerError && matches(error.code, error.message);
}

/** MongoDB answers "not implemented" with code 238 (FerretDB v1 does so for `partialFilterExpression`). */
function isNotImplemented(error: unknown): boolean {
  return (
    error instanceof MongoServerError &&
    (error.code === 238 || /not implemented/i.test(error.message) || error.codeName === 'NotImplemented')
  );
}

export interface IndexSpec {
  name: string;
  key: Record<string, IndexDirection>;
  unique?: true;
  /**
   * Unique only among documents that have the key's last field: a partial index on MongoDB
   * (`{field: {$type: "string"}}`), a sparse one where partial indexes are not implemented (FerretDB v1).
   */
  partialOnField?: string;
}

/** Creates one index; falls back from a partial to a sparse index where the server lacks partial ones. */
export async function createIndex(collection: Collection<Document>, spec: IndexSpec): Promise<void> {
  const base = { name: spec.name, ...(spec.unique ? { unique: true } : {}) };
  if (spec.partialOnField === undefined) {
    await collection.createIndex(spec.key, base);
    return;
  }
  try {
    await collection.createIndex(spec.key, {
      ...base,
      partialFilterExpression: { [spec.partialOnField]: { $type: 'string' } },
    });
  } catch (error) {
    if (!isNotImplemented(error)) throw error;
    // FerretDB v1: its SQLite unique indexes treat a missing field as NULL, and NULLs never collide there, so
    // sparse gives the same meaning. (On MongoDB a sparse compound index would still index every document,
    // because `org` is always present; that is why the partial form is tried first.)
    await collection.createIndex(spec.key, { ...base, sparse: true });
  }
}

/**
 * Runs insert ops believed new as one unordered bulk and returns the indexes the server refused as
 * duplicates (a unique index already holds the key), which FerretDB and MongoDB both report by index for
 * inserts. When a refusal names no index, every index is returned: the caller's read then finds which landed.
 * Other errors are thrown.
 */
export async function insertRefusals<T extends Document>(
  collection: Collection<T>,
  ops: readonly AnyBulkWriteOperation<T>[],
): Promise<Set<number>> {
  if (ops.length === 0) return new Set();
  try {
    await collection.bulkWrite([...ops], { ordered: false });
    return new Set();
  } catch (error) {
    if (!isDuplicateKey(error) || !(error instanceof MongoBulkWriteError)) throw error;
    const failed = writeErrorsOf(error);
    if (failed.length === 0) return new Set(ops.map((_op, index) => index));
    return new Set(failed.map((e) => e.index).filter((index) => index < ops.length));
  }
}

export interface BulkOutcome {
  upserted: number;
  modified: number;
  /** Indexes (into the ops) refused by a unique index, with the server's message. */
  duplicates: { index: number; message: string }[];
  /**
   * The ops were replayed one by one after a refused bulk: ops the bulk had already applied replay as no-ops,
   * so `upserted` and `modified` undercount and the caller should count the ops that did not fail instead.
   */
  replayed: boolean;
}

/**
 * An insert as the equivalent insert-if-absent upsert: replaying it after a partly applied batch is then
 * harmless (FerretDB may have stored some of a batch it reported as failed).
 */
function asUpsert(op: AnyBulkWriteOperation<Stored>): AnyBulkWriteOperation<Stored> {
  if (!('insertOne' in op)) return op;
  const { _id, ...fields } = op.insertOne.document as Stored;
  return { updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } };
}

/**
 * Unordered bulkWrites of idempotent upserts (and inserts), in commands of at most `maxPerCommand` ops. On
 * duplicate-key errors it replays the ops one by one to learn which failed: FerretDB v1 stops an unordered
 * bulk at its first error and reports index 0 with zero counts, so neither its indexes nor its counts can be
 * trusted. Replaying is safe because every op is an upsert keyed on a unique index; other errors are thrown
 * as they are (retryable by the caller).
 */
export async function bulkUpsert(
  collection: Collection<Stored>,
  ops: AnyBulkWriteOperation<Stored>[],
  maxPerCommand: number,
): Promise<BulkOutcome> {
  if (ops.length === 0) return { upserted: 0, modified: 0, duplicates: [], replayed: false };
  try {
    const total = { upserted: 0, modified: 0 };
    for (const slice of chunks(ops, maxPerCommand)) {
      const result = await collection.bulkWrite(slice, { ordered: false });
      total.upserted += result.upsertedCount + result.insertedCount;
      total.modified += result.modifiedCount;
    }
    return { ...total, duplicates: [], replayed: false };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  const outcome: BulkOutcome = { upserted: 0, modified: 0, duplicates: [], replayed: true };
  for (const [index, op] of ops.entries()) {
    try {
      const result = await collection.bulkWrite([asUpsert(op)], { ordered: true });
      outcome.upserted += result.upsertedCount + result.insertedCount;
      outcome.modified += result.modifiedCount;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      outcome.duplicates.push({ index, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcome;
}
