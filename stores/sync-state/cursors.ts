import type { Db } from 'mongodb';
import {
  CursorDocSchema,
  DeltaCursorSchema,
  cursorIdOf,
  type DeltaCursor,
  type SyncDirection,
} from '../../domain/sync-state-schemas';
import type { Stored } from '../mongo-helpers';
import type { StoreOptions } from '../server-capabilities';
import { clockOf, createCollectionIndexes, type CollectionIndexSpec } from './common';

/*
 * The delta cursors of each integration, module and direction: one document each, read and written by its
 * _id alone. Apart from the runs: a cursor is where the next read starts, a run what one read did.
 */

const COLLECTION = 'cursors';

/** None beyond `_id`: every read and write names one cursor by it. */
export const CURSOR_INDEXES: readonly CollectionIndexSpec[] = [];

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
  ): Promise<{ cursor: DeltaCursor; seenThrough?: DeltaCursor | undefined } | undefined>;
  /**
   * Saves the delta cursor, and with `seenThrough` how far the read went beyond it (records the next read
   * meets again up to there were counted already). Idempotent; last write wins (a cursor moved back only
   * re-reads records).
   */
  saveCursor(
    integrationId: string,
    module: string,
    direction: SyncDirection,
    cursor: DeltaCursor,
    seenThrough?: DeltaCursor,
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
      const { cursor, seenThrough } = CursorDocSchema.parse(doc);
      return { cursor, seenThrough };
    },

    async saveCursor(integrationId, module, direction, cursor, seenThrough) {
      const parsed = DeltaCursorSchema.parse(cursor);
      const seen = seenThrough === undefined ? undefined : DeltaCursorSchema.parse(seenThrough);
      await cursors.updateOne(
        { _id: cursorIdOf(integrationId, module, direction) },
        {
          $set: { cursor: parsed, modifiedTime: now(), ...(seen && { seenThrough: seen }) },
          ...(seen ? {} : { $unset: { seenThrough: '' } }),
          $setOnInsert: { integrationId, module, direction },
        },
        { upsert: true },
      );
    },
  };
}
