import type { Db } from 'mongodb';
import {
  CursorDocSchema,
  DeltaCursorSchema,
  QuietTokenSchema,
  cursorIdOf,
  type DeltaCursor,
  type SyncDirection,
} from '../../domain/sync-state-schemas';
import { defined, type Stored } from '../mongo-helpers';
import type { StoreOptions } from '../server-capabilities';
import { clockOf, createCollectionIndexes, type CollectionIndexSpec } from './common';

/*
 * The delta cursors of each integration, module and direction: one document each, read and written by its
 * _id alone. Apart from the runs: a cursor is where the next read starts, a run what one read did.
 */

const COLLECTION = 'cursors';

/** None beyond `_id`: every read and write names one cursor by it. */
export const CURSOR_INDEXES: readonly CollectionIndexSpec[] = [];

/** A saved cursor with how far its last read got and the change-marker token it vouches for (saveCursor). */
export interface CursorState {
  cursor: DeltaCursor;
  seenThrough?: DeltaCursor | undefined;
  quietToken?: string | undefined;
}

export interface CursorsRepository {
  /** Creates CURSOR_INDEXES (none today). Idempotent; awaited once at start-up. */
  ensureIndexes(): Promise<void>;
  /** The saved delta cursor of a module and direction; undefined before the first sync. Read-only. */
  getCursor(
    integrationId: string,
    module: string,
    direction: SyncDirection,
  ): Promise<DeltaCursor | undefined>;
  /** The saved cursor with how far its last read got (see saveCursor); undefined before the first sync. */
  getCursorState(
    integrationId: string,
    module: string,
    direction: SyncDirection,
  ): Promise<CursorState | undefined>;
  /**
   * Saves the delta cursor, with `seenThrough` how far the read went beyond it (records the next read meets
   * again up to there were counted already), and with `quietToken` the source's change-marker token a read
   * to the end vouches for (absent: none, the next read scans). Idempotent; last write wins (a cursor moved
   * back only re-reads records).
   */
  saveCursor(
    integrationId: string,
    module: string,
    direction: SyncDirection,
    cursor: DeltaCursor,
    seenThrough?: DeltaCursor,
    quietToken?: string,
  ): Promise<void>;
}

/** The MongoDB implementation of the cursors collection, over an injected sync-state `Db`. */
export function createCursorsRepository(db: Db, options: StoreOptions = {}): CursorsRepository {
  const now = clockOf(options);
  const cursors = db.collection<Stored>(COLLECTION);

  return {
    ensureIndexes: () => createCollectionIndexes(db, CURSOR_INDEXES),

    async getCursor(integrationId, module, direction) {
      const doc = await cursors.findOne({ _id: cursorIdOf(integrationId, module, direction) });
      return doc ? CursorDocSchema.parse(doc).cursor : undefined;
    },

    async getCursorState(integrationId, module, direction) {
      const doc = await cursors.findOne({ _id: cursorIdOf(integrationId, module, direction) });
      if (!doc) return undefined;
      const { cursor, seenThrough, quietToken } = CursorDocSchema.parse(doc);
      return { cursor, seenThrough, quietToken };
    },

    async saveCursor(integrationId, module, direction, cursor, seenThrough, quietToken) {
      const parsed = DeltaCursorSchema.parse(cursor);
      const seen = seenThrough === undefined ? undefined : DeltaCursorSchema.parse(seenThrough);
      const token = quietToken === undefined ? undefined : QuietTokenSchema.parse(quietToken);
      // What is not given is removed: a cursor saved mid-read vouches for no token.
      const absent = { ...(!seen && { seenThrough: '' }), ...(!token && { quietToken: '' }) };
      await cursors.updateOne(
        { _id: cursorIdOf(integrationId, module, direction) },
        {
          $set: defined({ cursor: parsed, modifiedTime: now(), seenThrough: seen, quietToken: token }),
          ...(Object.keys(absent).length > 0 && { $unset: absent }),
          $setOnInsert: { integrationId, module, direction },
        },
        { upsert: true },
      );
    },
  };
}
