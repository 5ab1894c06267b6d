import { randomUUID } from 'node:crypto';
import { MongoBulkWriteError, type Db, type Document } from 'mongodb';
import { z } from 'zod';
import {
  AuditActionSchema,
  AuditDocSchema,
  AuditInputSchema,
  DocIdSchema,
  type AuditDoc,
  type AuditInput,
} from '../../domain/sync-state-schemas';
import { defined, isDuplicateKey, writeErrorsOf, type Stored } from '../mongo-helpers';
import { LimitSchema, MAX_IDS, createCollectionIndexes, type CollectionIndexSpec } from './common';

const COLLECTION = 'audit';

export const AUDIT_INDEXES: readonly CollectionIndexSpec[] = [
  { collection: COLLECTION, name: 'integrationId_at', key: { integrationId: 1, at: -1 } },
  { collection: COLLECTION, name: 'action_at', key: { action: 1, at: -1 } },
  { collection: COLLECTION, name: 'at', key: { at: -1 } },
];

export interface AuditQuery {
  integrationId?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
}

export interface AuditRepository {
  /** Creates AUDIT_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /**
   * Appends audit entries (S9.8) in one unordered insert. Idempotent when entries carry deterministic ids:
   * an id already stored is skipped (counted in `duplicates`); any other write error is thrown.
   */
  appendAudit(entries: readonly AuditInput[]): Promise<{ appended: number; duplicates: number }>;
  /** Audit entries matching every given condition, newest first. Read-only. */
  queryAudit(query: AuditQuery): Promise<AuditDoc[]>;
}

/** The MongoDB implementation of the audit collection, over an injected sync-state `Db`. */
export function createAuditRepository(db: Db): AuditRepository {
  const audit = db.collection<Stored>(COLLECTION);

  return {
    ensureIndexes: () => createCollectionIndexes(db, AUDIT_INDEXES),

    async appendAudit(raw) {
      const entries = z.array(AuditInputSchema).max(MAX_IDS).parse(raw);
      if (entries.length === 0) return { appended: 0, duplicates: 0 };
      const docs = entries.map((e) => AuditDocSchema.parse({ ...e, _id: e._id ?? randomUUID() }));
      try {
        const result = await audit.insertMany(
          docs.map((d) => defined(d)),
          { ordered: false },
        );
        return { appended: result.insertedCount, duplicates: 0 };
      } catch (error) {
        if (!(error instanceof MongoBulkWriteError) || !isDuplicateKey(error)) throw error;
        const duplicates = writeErrorsOf(error).length;
        if (duplicates === 0) throw error;
        return { appended: docs.length - duplicates, duplicates };
      }
    },

    async queryAudit(query) {
      const q = z
        .object({
          integrationId: DocIdSchema.optional(),
          action: AuditActionSchema.optional(),
          from: z.date().optional(),
          to: z.date().optional(),
          limit: LimitSchema,
        })
        .parse(query);
      const filter: Document = defined({ integrationId: q.integrationId, action: q.action });
      if (q.from || q.to) filter.at = defined({ $gte: q.from, $lt: q.to });
      const docs = await audit.find(filter).sort({ at: -1, _id: -1 }).limit(q.limit).toArray();
      return docs.map((d) => AuditDocSchema.parse(d));
    },
  };
}
