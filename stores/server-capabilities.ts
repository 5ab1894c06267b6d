import type { Collection, Db, Document, Filter, Sort, WithId } from 'mongodb';
import { chunks } from './mongo-helpers';

/*
 * What the stores (and the step sizes of workers/deps.ts) need to know of the server they run on, in one
 * object resolved once at start. Our FerretDB build (SQLite; scripts/ferretdb/cbs_pushdown.go) answers from
 * an index a filter's `_id` condition and its string equalities, `$in`s and date ranges on the leading fields
 * of an index; any other filter decodes the whole collection, and a limit or a sort never reaches the index:
 * every document the indexed part selects is decoded. So on FerretDB the stores read by indexed fields only,
 * and avoid reads they can do without (a write that is refused tells them the same). Code reads the fields
 * below, never which server it is.
 */

export interface ServerCapabilities {
  /** Which server answered the probe: for logs and diagnostics only, decisions read the fields below. */
  readonly server: 'mongodb' | 'ferretdb';
  /**
   * Whether a read decodes every document its indexed conditions select, whatever its limit (a delta page
   * decodes everything after its cursor): a caller then reads seldom and in large steps (workers/deps.ts
   * picks the sync's step size by it).
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
   * How many values one `$in` may list (Infinity: any number); a longer list is sent in parts of this many,
   * one query each, since each part is answered from the index of its path. See findWithin.
   */
  readonly longestIn: number;
}

/** MongoDB: indexed reads, no limits of its own below the driver's. */
export const MONGODB_CAPABILITIES: ServerCapabilities = {
  server: 'mongodb',
  readsScanCollection: false,
  insertBeforeRead: false,
  maxUpdatesPerCommand: Number.POSITIVE_INFINITY,
  longestIn: Number.POSITIVE_INFINITY,
};

/**
 * FerretDB v1.24 on SQLite.
 * - `maxUpdatesPerCommand`: it never answers an `update` command whose statements match 100 or more stored
 *   documents (99 take ~0.15 s; 100 hang until the client gives up), so updates go in commands of 50.
 *   Measured again with the `_id` patch, on 30,000 documents: 50 take 48 ms, 99 77 ms, 100 still hang.
 * - `longestIn`: our build answers an `$in` of up to 1,000 strings on an indexed path from the index
 *   (scripts/ferretdb/cbs_pushdown.go; on 30,000 documents 50 `_id`s take 6 ms), so longer lists go in parts.
 *   Unpatched, it compared every stored document with every listed value (on 50,000 links an `$in` of 5,000
 *   values took 10.7 s).
 */
export const FERRETDB_CAPABILITIES: ServerCapabilities = {
  server: 'ferretdb',
  readsScanCollection: true,
  insertBeforeRead: true,
  maxUpdatesPerCommand: 50,
  longestIn: 1000,
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
 * one path or more). Every path must be indexed after the base's fields (each caller's is): for lists up to
 * `longestIn` values that is one query with an `$in` per path (under `$or` with `any`), answered from the
 * indexes; a longer list is sent in parts of `longestIn`, one query each (with `any`, one per path and part).
 * The documents come back in the server's order (sorted by `sort`; across parts, sorted here), each once.
 */
export async function findWithin<T extends Document>(
  capabilities: ServerCapabilities,
  collection: Collection<T>,
  base: Filter<T>,
  within: Readonly<Record<string, readonly string[]>>,
  options: { sort?: Sort; projection?: Document; any?: boolean } = {},
): Promise<WithId<T>[]> {
  const lists = Object.entries(within);
  if (options.any && lists.length === 0) return [];
  const query = (clauses: readonly (readonly [string, readonly string[]])[]) => {
    const ins = clauses.map(([path, values]) => ({ [path]: { $in: [...values] } }));
    const filter: Document =
      options.any && ins.length > 1 ? { ...base, $or: ins } : Object.assign({ ...base }, ...ins);
    const cursor = collection.find(
      filter as Filter<T>,
      options.projection ? { projection: options.projection } : {},
    );
    return (options.sort ? cursor.sort(options.sort) : cursor).toArray();
  };
  const longest = capabilities.longestIn;
  const long = lists.find(([, values]) => values.length > longest);
  if (!long) return query(lists);

  // In parts: with `any`, each list alone; else the long list in parts, the other lists whole (a long one of
  // those is split in turn). A document holding an array may match two parts: it is kept once.
  const found = new Map<string, WithId<T>>();
  const keep = (docs: WithId<T>[]) => docs.forEach((doc) => found.set(String(doc._id), doc));
  if (options.any)
    for (const [path, values] of lists)
      for (const part of chunks([...new Set(values)], longest)) keep(await query([[path, part]]));
  else
    for (const part of chunks([...new Set(long[1])], longest))
      keep(await findWithin(capabilities, collection, base, { ...within, [long[0]]: part }, options));
  const docs = [...found.values()];
  return options.sort ? docs.sort(comparing(options.sort)) : docs;
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
