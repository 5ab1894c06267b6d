import type { Db } from 'mongodb';
import {
  KeyPartSchema,
  TriggerDecisionDocSchema,
  type TriggerDecisionDoc,
  type TriggerDecisionInput,
} from '../../domain/sync-state-schemas';
import { defined, isDuplicateKey, type Stored } from '../mongo-helpers';
import { LimitSchema, createCollectionIndexes, type CollectionIndexSpec } from './common';

const COLLECTION = 'trigger_decisions';

export const TRIGGER_DECISION_INDEXES: readonly CollectionIndexSpec[] = [
  {
    collection: COLLECTION,
    name: 'crmOrgId_dealId_decidedTime',
    key: { crmOrgId: 1, dealId: 1, decidedTime: 1 },
  },
];

export interface TriggerDecisionsRepository {
  /** Creates TRIGGER_DECISION_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /** Records why a deal trigger fired or not (S5.6). Idempotent on the decision id (the first one stays). */
  recordTriggerDecision(decision: TriggerDecisionInput): Promise<{ recorded: boolean }>;
  /** A deal's trigger decisions, oldest first. Read-only. */
  listTriggerDecisions(
    crmOrgId: string,
    dealId: string,
    options?: { limit?: number },
  ): Promise<TriggerDecisionDoc[]>;
}

/** The MongoDB implementation of the trigger-decisions collection, over an injected sync-state `Db`. */
export function createTriggerDecisionsRepository(db: Db): TriggerDecisionsRepository {
  const triggerDecisions = db.collection<Stored>(COLLECTION);

  return {
    ensureIndexes: () => createCollectionIndexes(db, TRIGGER_DECISION_INDEXES),

    async recordTriggerDecision(raw) {
      const decision = TriggerDecisionDocSchema.parse(raw);
      const { _id, ...fields } = defined(decision);
      try {
        const result = await triggerDecisions.updateOne({ _id }, { $setOnInsert: fields }, { upsert: true });
        return { recorded: result.upsertedCount === 1 };
      } catch (error) {
        if (isDuplicateKey(error)) return { recorded: false };
        throw error;
      }
    },

    async listTriggerDecisions(crmOrgId, dealId, options = {}) {
      const limit = LimitSchema.parse(options.limit ?? 500);
      const docs = await triggerDecisions
        .find({ crmOrgId: KeyPartSchema.parse(crmOrgId), dealId: KeyPartSchema.parse(dealId) })
        .sort({ decidedTime: 1, _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map((d) => TriggerDecisionDocSchema.parse(d));
    },
  };
}
