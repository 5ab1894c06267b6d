import { randomUUID } from 'node:crypto';
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { ChangeMarker } from '../domain/change-markers';
import { isLateWrite, WRITE_SETTLE_MS } from './delta';
import { isDuplicateKey, type Stored } from './mongo-helpers';

export type { ChangeMarker };

/*
 * One change marker per record collection and org, `{_id: "<collection>|<org>", token, changedAt}`, so that a
 * sync step learns with one `_id` point read (the only read FerretDB v1 does not answer by decoding the whole
 * collection) that nothing changed since its last complete scan, and skips the scan.
 *
 * Every write command of a record collection (record-collection.ts: inserts, replacements, imports, patches,
 * deletes, re-stamps) takes its modified time, then sets the marker to a fresh random token, then sends the
 * command. A step reads the marker before it scans; when its scan reads to the end, it saves the token it read
 * with its cursor, but only when the marker had been quiet for WRITE_SETTLE_MS when it was read
 * (domain/change-markers.ts trustedToken). A later step skips its scan when the marker still holds that token.
 *
 * Why that never skips a change. Take a record write W whose command was stamped at s, set the marker at
 * b >= s, and became visible at v. Step R read the marker at r, saw token T (set at t, stamped ct <= r - 2 x
 * settle), and saved it; step R' reads T again at r' and skips.
 * - Tokens are random, and every set replaces the token whole, so seeing T again means no set took effect in
 *   (t, r']. (FerretDB v1 applies concurrent updates without isolation, so one of two racing sets may be
 *   lost, but the one that stays is fresh all the same: a lost update can hide which writer set the marker,
 *   never that one did. That is why this is a replaced token, not an incremented counter or a `$max` time.)
 * - If b <= t: a marker set takes effect within the settle time of its stamp (one acknowledged later sets the
 *   marker again, as a late record command is stamped again: delta.ts), so t <= ct + settle <= r - settle,
 *   and W, stamped before t, was visible within the settle time of its stamp, before R's scan began.
 * - If b > r': W began after R' read the marker; the next step to read it sees a new token and scans from
 *   R's cursor, which never passed R's settled boundary (before r), so it reads W (stamped after r).
 * - b in (t, r'] is impossible: the token would not be T.
 * Setting the marker before the write, not after, is what makes a writer that dies between the two harmless:
 * the marker moved anyway. The price is a step that scans needlessly while a module is busy, and a run more
 * after a burst of writes: a marker must be quiet for twice the settle time (one for the marker's own
 * command, one for the record command it announces) before a scan may vouch for it.
 */

const COLLECTION = 'change_markers';

/** How long a marker must have been quiet before a scan may vouch for it: see above. */
export const MARKER_QUIET_MS = 2 * WRITE_SETTLE_MS;

/** How often a late marker set is repeated before the write is given up as failing (retryable). */
const MAX_RETOUCHES = 5;

/**
 * The marker of an org no write has touched since markers exist: as if set once, long ago, so a step over a
 * module that stays empty skips too. Markers are never removed, so it cannot come back after a write.
 */
export const NEVER_SET: ChangeMarker = Object.freeze({ token: 'never-set', changedAt: new Date(0) });

const MarkerSchema = z.object({ token: z.string().min(1).max(100), changedAt: z.date() });

export interface ChangeMarkers {
  /**
   * Sets the marker of `collection`'s `org` to a fresh token stamped now. Called before every write command
   * of the collection. Idempotent in effect (any fresh token will do); fails with the driver's error.
   */
  touch(collection: string, org: string): Promise<void>;
  /**
   * The marker of `collection`'s `org`, by its `_id`: NEVER_SET when no write has set it (the first write
   * will, before it is sent); undefined when it does not parse (the reader then scans, which is never
   * wrong). Read-only.
   */
  read(collection: string, org: string): Promise<ChangeMarker | undefined>;
}

/** The change markers of the record collections of one database (the CRM store's or the Books store's). */
export function createChangeMarkers(db: Db, now: () => Date): ChangeMarkers {
  const markers = db.collection<Stored>(COLLECTION);
  const keyOf = (collection: string, org: string) => `${collection}|${org}`;

  /** Sets a fresh token; true when the server acknowledged it late (it must be set again). */
  const set = async (_id: string): Promise<boolean> => {
    const changedAt = now();
    const update = { $set: { token: randomUUID(), changedAt } };
    try {
      await markers.updateOne({ _id }, update, { upsert: true });
    } catch (error) {
      // Two first writers of an org both insert its marker: the second finds it there and sets it.
      if (!isDuplicateKey(error)) throw error;
      await markers.updateOne({ _id }, update);
    }
    return isLateWrite(changedAt, now());
  };

  return {
    async touch(collection, org) {
      const _id = keyOf(collection, org);
      for (let round = 1; await set(_id); round++)
        if (round >= MAX_RETOUCHES)
          throw new Error(`${COLLECTION}: ${_id} stayed late through ${MAX_RETOUCHES} sets`);
    },

    async read(collection, org) {
      const doc = await markers.findOne({ _id: keyOf(collection, org) });
      if (!doc) return NEVER_SET;
      const parsed = MarkerSchema.safeParse(doc);
      return parsed.success ? parsed.data : undefined;
    },
  };
}
