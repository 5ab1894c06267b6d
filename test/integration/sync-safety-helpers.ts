import { Collection, type Document } from 'mongodb';
import { syncRunWorkflowId } from '../../domain/ids';
import { normalizeName } from '../../domain/sync/names';
import { apiTimestamp, contentHashOf, recordKey, type ModifiedField } from '../../stores/record-collection';
import type { SyncRunInput, SyncRunResult } from '../../workflows/sync-run';
import type { SyncBench } from './sync-harness';

/*
 * Tools of the sync-safety tests: writes that bypass the stores (as another process or a slow writer would
 * make them), a hook on every write command the driver sends to one collection (to act at an exact point of a
 * sync step without knowing how the engine writes), a sync run that is ended if it does not finish in time,
 * and a search of the sync-state database for what a run recorded.
 */

export type Data = Record<string, unknown>;

export const pad = (i: number) => String(i).padStart(4, '0');
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise with its resolve function outside, for one test step to wait on another. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

// ---------------------------------------------------------------------------------------------------------
// Raw documents: the stores' envelope, written with the driver alone

/**
 * The stored envelope of a record as the record collections write it (stores/record-store.ts), with the
 * content hash and the API's modified-time field the store would set: what a writer that bypasses the store
 * (and its validation) puts in the collection.
 */
export function rawEnvelope(opts: {
  org: string;
  id: string;
  data: Data;
  modifiedField: ModifiedField;
  displayName: string;
  time?: Date;
}): Document & { _id: string } {
  const time = opts.time ?? new Date();
  const data = { ...opts.data, [opts.modifiedField]: apiTimestamp(time, opts.modifiedField) };
  return {
    _id: recordKey(opts.org, opts.id),
    org: opts.org,
    id: opts.id,
    modifiedTime: time,
    createdTime: time,
    normName: normalizeName(opts.displayName),
    deleted: false,
    contentHash: contentHashOf(data, opts.modifiedField),
    data,
  };
}

// ---------------------------------------------------------------------------------------------------------
// A hook on the driver's write commands

export interface InterceptedWrite {
  db: string;
  collection: string;
  /** The driver method (`bulkWrite`, `updateOne`, …). `insertMany` arrives as the `bulkWrite` it sends. */
  method: string;
  /** Operations in the command: a bulk write's length, else 1. */
  ops: number;
}

type WriteHook = (write: InterceptedWrite) => void | Promise<void>;
type Method = (this: Collection<Document>, ...args: unknown[]) => Promise<unknown>;

/**
 * Every write method of the driver's Collection. `insertMany` is left out: in driver 6 it sends its documents
 * through `this.bulkWrite`, where the hook sees them.
 */
const WRITE_METHODS = [
  'bulkWrite',
  'insertOne',
  'updateOne',
  'updateMany',
  'replaceOne',
  'deleteOne',
  'deleteMany',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
] as const;

const hooks = new Set<{ db: string; collection: string | RegExp; hook: WriteHook }>();
let originals: Map<string, Method> | undefined;

function installHooks(): void {
  const proto = Collection.prototype as unknown as Record<string, Method>;
  originals = new Map();
  for (const name of WRITE_METHODS) {
    const original = proto[name]!;
    originals.set(name, original);
    proto[name] = async function (this: Collection<Document>, ...args: unknown[]) {
      const write: InterceptedWrite = {
        db: this.dbName,
        collection: this.collectionName,
        method: name,
        ops: name === 'bulkWrite' && Array.isArray(args[0]) ? args[0].length : 1,
      };
      for (const h of [...hooks]) {
        const named =
          typeof h.collection === 'string'
            ? h.collection === write.collection
            : h.collection.test(write.collection);
        if (h.db === write.db && named) await h.hook(write);
      }
      return original.apply(this, args);
    };
  }
}

function uninstallHooks(): void {
  if (!originals) return;
  const proto = Collection.prototype as unknown as Record<string, Method>;
  for (const [name, original] of originals) proto[name] = original;
  originals = undefined;
}

/**
 * Runs `hook` before every write command sent to `collection` of database `db` by anyone in this process —
 * the bench's in-process worker included — whatever store method sends it. The hook may wait (the command
 * waits with it) or throw (the command fails with that error, unsent). Returns the function that removes it.
 */
export function interceptWrites(db: string, collection: string | RegExp, hook: WriteHook): () => void {
  if (!originals) installHooks();
  const entry = { db, collection, hook };
  hooks.add(entry);
  return () => {
    hooks.delete(entry);
    if (hooks.size === 0) uninstallHooks();
  };
}

// ---------------------------------------------------------------------------------------------------------
// Runs

/**
 * bench.sync, but a run still going after `ms` is terminated and the test fails with a message saying so
 * (a step that fails with a retryable error is retried for ever, and would otherwise hang the test).
 */
export async function syncWithin(
  bench: SyncBench,
  ms: number,
  extra: Partial<SyncRunInput> = {},
): Promise<SyncRunResult> {
  let terminated: string | undefined;
  const timer = setTimeout(() => {
    void (async () => {
      const [latest] = await bench.deps.syncState.listRuns(bench.integrationId, { limit: 1 });
      terminated = latest?._id ?? syncRunWorkflowId(bench.integrationId, 1);
      await bench.client.workflow
        .getHandle(terminated)
        .terminate(`the test gave up after ${ms} ms`)
        .catch(() => undefined);
    })();
  }, ms);
  try {
    return await bench.sync(extra);
  } catch (err) {
    if (terminated === undefined) throw err;
    throw new Error(
      `sync run ${terminated} did not finish within ${ms / 1000} s and was terminated ` +
        `(is a step being retried for ever?)`,
    );
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------------------
// What a run recorded

/** Whether `text` names `id` as a whole token (not inside a longer id or a hash). */
function mentions(text: string, id: string): boolean {
  let at = text.indexOf(id);
  const part = /[A-Za-z0-9_-]/;
  while (at >= 0) {
    if (!part.test(text[at - 1] ?? '') && !part.test(text[at + id.length] ?? '')) return true;
    at = text.indexOf(id, at + 1);
  }
  return false;
}

/**
 * Documents of the bench's sync-state database, outside the identity map (links), cursors and the
 * integration itself, that mention a conflict: the text "conflict" (in the document or its collection's name)
 * with `field`, and which of `ids` they name.
 * Plus the run results given (what the workflow reported). Whatever the engine calls the place it records
 * conflicts in (the run's history entry, the audit log, a collection of their own), it is found here.
 */
export async function conflictMentions(
  bench: SyncBench,
  field: RegExp,
  ids: readonly string[],
  results: readonly unknown[] = [],
): Promise<{ named: Set<string>; documents: number }> {
  const db = bench.deps.mongo.db(bench.dbs.sync);
  const texts: string[] = results.map((r) => JSON.stringify(r));
  for (const { name } of await db.listCollections({}, { nameOnly: true }).toArray()) {
    if (name.startsWith('links') || name === 'cursors' || name === 'integrations') continue;
    for (const doc of await db.collection(name).find({}).toArray())
      texts.push(`${name} ${JSON.stringify(doc)}`);
  }
  const relevant = texts.filter((t) => /conflict/i.test(t) && field.test(t));
  return {
    named: new Set(ids.filter((id) => relevant.some((t) => mentions(t, id)))),
    documents: relevant.length,
  };
}
