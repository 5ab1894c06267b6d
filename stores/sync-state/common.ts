import type { Db } from 'mongodb';
import { z } from 'zod';
import { DocIdSchema, KeyPartSchema } from '../../domain/sync-state-schemas';
import { createIndex, type IndexSpec } from '../mongo-helpers';

/*
 * What the sync-state repositories (one per collection, in this folder) share: their limits, the error for a
 * document a write needs, and how an index of a named collection is declared and created.
 */

/** The document a write needs does not exist. */
export class SyncStateNotFoundError extends Error {
  override readonly name = 'SyncStateNotFound';
}

/** The most ids one write or id read lists, and the largest page a list returns. */
export const MAX_IDS = 10_000;
/** The most ids one link read lists (a sync chunk's links are read in one). */
const MAX_READ_IDS = 100_000;

export const IdListSchema = z.array(KeyPartSchema).max(MAX_READ_IDS);
export const DocIdListSchema = z.array(DocIdSchema).max(MAX_IDS);
export const LimitSchema = z.number().int().positive().max(MAX_IDS);

/** An index of a repository's collection, declared next to the repository. */
export interface CollectionIndexSpec extends IndexSpec {
  collection: string;
}

/** Creates `specs`, one after another. Idempotent; fails on a server error. */
export async function createCollectionIndexes(db: Db, specs: readonly CollectionIndexSpec[]): Promise<void> {
  for (const spec of specs) await createIndex(db.collection(spec.collection), spec);
}

/** The clock a repository stamps with: the injected one in tests. */
export function clockOf(options: { now?: () => Date }): () => Date {
  return options.now ?? (() => new Date());
}
