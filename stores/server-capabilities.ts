import type { Collection, Db, Document, Filter, Sort, WithId } from 'mongodb';
import { chunks } from './mongo-helpers';

/*
 * What the stores (and the step sizes of workers/deps.ts) need to know of the server they run on, in one
 * object resolved once at start. FerretDB v1 (SQLite) answers from an index only a filter's `_id` condition
 * (an equality or an `$in`, beside any other keys: our build, scripts/ferretdb-patches.ts); every other read
 * decodes the whole collection. So on FerretDB the stores find records by `_id` and avoid other reads they can
 * do without (a write that is refused tells them the same), and MongoDB gets the plain, indexed reads. Code
 * reads the fields below, never which server it is.
 */

export interface ServerCapabilities {
  /** Which server answered the probe: for logs and diagnostics only, decisions read the fields below. */
  readonly server: 'mongodb' | 'ferretdb';
  /**
   * Whether every read but one by `_id` decodes its whole collection: a caller then reads seldom and in large
   * steps (workers/deps.ts picks the sync's step size by it).
   */
  readonly readsScanCollection: boolean;
  /**
   * Whether documents believed new are inserted before anything is read, so only those refused as present
   * go on to a read: cheaper where a read scans and an upsert is an update, many times slower than an insert.
   */
  readonly insertBeforeRead: boolean;
  /** The most update statements one write command may carry (Infinity: no limit of the server's). */
  readonly maxUpdatesPerCommand: number;
  /**
   * How many values an `$in` may list before the filter is sent without it and the list matched in memory
   * (Infinity: always in the query). See findWithin.
   */
  readonly longestIn: number;
  /**
   * How many values an `$in` on `_id` may list (Infinity: any number); a longer list is sent in parts of
   * this many, one query each, since each part is answered from the `_id` index. See findWithin.
   */
  readonly longestIdIn: number;
}

/** MongoDB: indexed reads, no limits of its own below the driver's. */
export const MONGODB_CAPABILITIES: ServerCapabilities = {
  server: 'mongodb',
  readsScanCollection: false,
  insertBeforeRead: false,
  maxUpdatesPerCommand: Number.POSITIVE_INFINITY,
  longestIn: Number.POSITIVE_INFINITY,
  longestIdIn: Number.POSITIVE_INFINITY,
};

/**
 * FerretDB v1.24 on SQLite.
 * - `maxUpdatesPerCommand`: it never answers an `update` command whose statements match 100 or more stored
 *   documents (99 take ~0.15 s; 100 hang until the client gives up), so updates go in commands of 50.
 *   Measured again with the `_id` patch, on 30,000 documents: 50 take 48 ms, 99 77 ms, 100 still hang.
 * - `longestIn`: it compares every stored document with every listed value (measured on 50,000 links: `$in`
 *   of 50 values 2.5 s, 5,000 values 10.7 s, the whole collection sent 4.2 s), so a long list costs the
 *   square of a chunk; past 500 values the list is matched here, in a Set.
 * - `longestIdIn`: our build answers an `_id` `$in` of up to 1,000 strings from the `_id` index
 *   (scripts/ferretdb-patches.ts; on 30,000 documents 50 ids take 6 ms), so longer lists go in parts.
 */
export const FERRETDB_CAPABILITIES: ServerCapabilities = {
  server: 'ferretdb',
  readsScanCollection: true,
  insertBeforeRead: true,
  maxUpdatesPerCommand: 50,
  longestIn: 500,
  longestIdIn: 1000,
};

/** The capabilities of the server behind `db`, from one `buildInfo` (FerretDB names its own version there). */
export async function probeServerCapabilities(db: Db): Promise<ServerCapabilities> {
  const info = await db.admin().command({ buildInfo: 1 });
  return typeof info.ferretdbVersion === 'string' ? FERRETDB_CAPABILITIES : MONGODB_CAPABILITIES;
}

const probed = new WeakMap<Db, Promise<ServerCapabilities>>();

/**
 * What a store factory uses when it is given no capabilities (tests and tools that build a store directly):
 * a function that probes `db` on first use, once per `Db` (a failed probe is asked again). Given ones are
 * used as they are: production resolves them once at start (workers/deps.ts) and passes them to every store.
 */
export function capabilitiesFor(
  db: Db,
  given: ServerCapabilities | undefined,
): () => Promise<ServerCapabilities> {
  if (given) return () => Promise.resolve(given);
  return () => {
    let known = probed.get(db);
    if (!known) {
      known = probeServerCapabilities(db);
      known.catch(() => probed.delete(db));
      probed.set(db, known);
    }
    return known;
  };
}

/**
 * The documents matching `base` whose value at each path of `within` is one of its strings (with `any`: at
 * one path or more). For lists up to `longestIn` values (`longestIdIn` for `_id`) that is one query with an
 * `$in` per path (under `$or` with `any`), answered from the indexes; a longer `_id` list (without `any`) is
 * sent in parts, one query each; other longer lists are left out of the query and matched in memory, and
 * with `any` one long list takes them all there, since an `$or` is sent whole or not at all. The documents
 * come back in the server's order (sorted by `sort`; across parts, sorted here).
 */
export async function findWithin<T extends Document>(
  capabilities: ServerCapabilities,
  collection: Collection<T>,
  base: Filter<T>,
  within: Readonly<Record<string, readonly string[]>>,
  options: { sort?: Sort; projection?: Document; any?: boolean } = {},
): Promise<WithId<T>[]> {
  const ids = within._id;
  if (!options.any && ids && ids.length > capabilities.longestIdIn) {
    const found: WithId<T>[] = [];
    for (const part of chunks([...new Set(ids)], capabilities.longestIdIn))
      found.push(...(await findWithin(capabilities, collection, base, { ...within, _id: part }, options)));
    return options.sort ? found.sort(comparing(options.sort)) : found;
  }
  const lists = Object.entries(within);
  if (options.any && lists.length === 0) return [];
  // Under `$or` (with `any`) no list reaches the `_id` index, so an `_id` list is as long as any other.
  const long = (path: string, values: readonly string[]) =>
    values.length > (path === '_id' && !options.any ? capabilities.longestIdIn : capabilities.longestIn);
  const sendAll = !lists.some(([path, values]) => long(path, values));
  const inQuery = lists.filter(([path, values]) => (options.any ? sendAll : !long(path, values)));
  const inMemory = lists
    .filter(([path, values]) => (options.any ? !sendAll : long(path, values)))
    .map(([path, values]) => [path.split('.'), new Set(values)] as const);

  const clauses = inQuery.map(([path, values]) => ({ [path]: { $in: [...values] } }));
  const filter: Document =
    options.any && clauses.length > 0 ? { ...base, $or: clauses } : Object.assign({ ...base }, ...clauses);
  let cursor = collection.find(
    filter as Filter<T>,
    options.projection ? { projection: options.projection } : {},
  );
  if (options.sort) cursor = cursor.sort(options.sort);
  const docs = await cursor.toArray();
  if (inMemory.length === 0) return docs;
  // As `$in` does: a string equal to a listed value, or an array holding one.
  const matches = ([path, values]: (typeof inMemory)[number], doc: Document) => {
    const value = valueAt(doc, path);
    return (Array.isArray(value) ? (value as unknown[]) : [value]).some(
      (v) => typeof v === 'string' && values.has(v),
    );
  };
  return docs.filter((doc) =>
    options.any ? inMemory.some((list) => matches(list, doc)) : inMemory.every((list) => matches(list, doc)),
  );
}

/**
 * Orders documents as a sort of simple keys does (`{field: 1 | -1, …}`, dotted paths allowed), for the
 * strings, numbers and dates the stores sort by; values of other types compare equal.
 */
function comparing(sort: Sort): (a: Document, b: Document) => number {
  if (typeof sort !== 'object' || Array.isArray(sort) || sort instanceof Map)
    throw new Error('findWithin: a sort across parts needs a {field: 1 | -1} document');
  const keys = Object.entries(sort).map(([path, direction]) => {
    if (direction !== 1 && direction !== -1)
      throw new Error(`findWithin: cannot sort ${path} by ${String(direction)}`);
    return [path.split('.'), direction] as const;
  });
  const rank = (v: unknown) =>
    v instanceof Date ? v.getTime() : typeof v === 'number' || typeof v === 'string' ? v : undefined;
  return (a, b) => {
    for (const [path, direction] of keys) {
      const x = rank(valueAt(a, path));
      const y = rank(valueAt(b, path));
      if (x === y || x === undefined || y === undefined || typeof x !== typeof y) continue;
      return (x < y ? -1 : 1) * direction;
    }
    return 0;
  };
}

function valueAt(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** What every store factory takes beside its `Db`. */
export interface StoreOptions {
  /** Resolved once at start (workers/deps.ts); probed from the `Db` on first use when absent. */
  capabilities?: ServerCapabilities;
  /** Injectable clock for tests. */
  now?: () => Date;
}
