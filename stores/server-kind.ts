import type { Collection, Db, Document, Filter, Sort, WithId } from 'mongodb';

/**
 * What the stores need to know of the server they run on. FerretDB v1 (SQLite) pushes down to SQL only a
 * filter that is exactly `{_id: <string>}`; every other read decodes the whole collection, and a point read
 * costs about 3 ms. So on FerretDB the stores avoid reads they can do without (a write that is refused tells
 * them the same), and MongoDB gets the plain, indexed reads.
 */

const ferretDb = new WeakMap<Db, Promise<boolean>>();

/** Whether this database's server is FerretDB (asked once per `Db`; a failed probe is asked again). */
export function isFerretDb(db: Db): Promise<boolean> {
  let known = ferretDb.get(db);
  if (!known) {
    known = db
      .admin()
      .command({ buildInfo: 1 })
      .then((info) => typeof info.ferretdbVersion === 'string');
    known.catch(() => ferretDb.delete(db));
    ferretDb.set(db, known);
  }
  return known;
}

/**
 * How many values an `$in` may list before FerretDB answers faster without it. FerretDB v1 compares every
 * stored document with every listed value (measured on 50,000 links: `_id $in` 50 ids 2.5 s, 5,000 ids 10.7 s,
 * the whole collection sent 4.2 s), so a long list costs the square of a chunk; past this the filter without
 * the list is sent and the list is matched here, in a Set.
 */
export const FERRETDB_LONGEST_IN = 500;

/**
 * The documents matching `base` whose value at each path of `within` is one of its strings (with `any`: at
 * one path or more). On MongoDB, and for short lists, that is one query with an `$in` per path (under `$or`
 * with `any`), answered from the indexes. On FerretDB, lists longer than FERRETDB_LONGEST_IN are left out of
 * the query and matched in memory; with `any`, one long list takes them all there, since an `$or` is sent
 * whole or not at all. The documents come back in the server's order (sorted by `sort`).
 */
export async function findWithin<T extends Document>(
  db: Db,
  collection: Collection<T>,
  base: Filter<T>,
  within: Readonly<Record<string, readonly string[]>>,
  options: { sort?: Sort; projection?: Document; any?: boolean } = {},
): Promise<WithId<T>[]> {
  const lists = Object.entries(within);
  if (options.any && lists.length === 0) return [];
  const long = (await isFerretDb(db))
    ? (values: readonly string[]) => values.length > FERRETDB_LONGEST_IN
    : () => false;
  const sendAll = !lists.some(([, values]) => long(values));
  const inQuery = lists.filter(([, values]) => (options.any ? sendAll : !long(values)));
  const inMemory = lists
    .filter(([, values]) => (options.any ? !sendAll : long(values)))
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

function valueAt(doc: unknown, path: readonly string[]): unknown {
  let value = doc;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
