import type { Db } from 'mongodb';

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
