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
 * The documents matching `base` whose value at each path of `within` is one of its strings: one `$in` query per
 * path on MongoDB (indexed) or for short lists; on FerretDB, lists longer than FERRETDB_LONGEST_IN are left out
 * of the query and matched in memory. The documents come back in the server's order (sorted by `sort`).
 */
export async function findWithin<T extends Document>(
  db: Db,
  collection: Collection<T>,
  base: Filter<T>,
  within: Readonly<Record<string, readonly string[]>>,
  options: { sort?: Sort; projection?: Document } = {},
): Promise<WithId<T>[]> {
  const ferret = await isFerretDb(db);
  const filter: Document = { ...base };
  const inMemory: [string[], Set<string>][] = [];
  for (const [path, values] of Object.entries(within)) {
    if (ferret && values.length > FERRETDB_LONGEST_IN) inMemory.push([path.split('.'), new Set(values)]);
    else filter[path] = { $in: [...values] };
  }
  let cursor = collection.find(
    filter as Filter<T>,
    options.projection ? { projection: options.projection } : {},
  );
  if (options.sort) cursor = cursor.sort(options.sort);
  const docs = await cursor.toArray();
  if (inMemory.length === 0) return docs;
  return docs.filter((doc) =>
    inMemory.every(([path, values]) => {
      // As `$in` does: a string equal to a listed value, or an array holding one.
      const value = valueAt(doc, path);
      const candidates = Array.isArray(value) ? (value as unknown[]) : [value];
      return candidates.some((v) => typeof v === 'string' && values.has(v));
    }),
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
