import type { Db } from 'mongodb';
import type { z } from 'zod';
import { DealAssociationDocSchema, type DealAssociationDoc } from '../domain/deals/associations';
import {
  DealDecisionDocSchema,
  DealDocumentLinkDocSchema,
  DealRulesDocSchema,
  type DealDecisionDoc,
  type DealDecisionInput,
  type DealDocumentLinkDoc,
  type DealRulesDoc,
} from '../domain/deals/records';
import { DealRulesSchema, type DealRule } from '../domain/deals/rules';
import { DocIdSchema, KeyPartSchema } from '../domain/sync-state-schemas';
import { chunks, defined, isDuplicateKey, type Stored } from './mongo-helpers';
import { LimitSchema, clockOf, createCollectionIndexes, type CollectionIndexSpec } from './sync-state/common';

/*
 * Deal automation's three collections (issue 17), in the sync-state database: the rules of each integration,
 * the decision records, and the deal → document business keys; and the deals' manual associations with Books
 * documents (S4.3). Every write is filtered on `_id` alone and
 * new documents are inserted, never upserted (FerretDB), so two writers meet on the duplicate key.
 */

const RULES = 'deal_rules';
const DECISIONS = 'deal_decisions';
const DOCUMENTS = 'deal_documents';
const ASSOCIATIONS = 'deal_associations';
/** Deal ids per `$in`: short lists keep FerretDB's in-memory match cheap. */
const IDS_PER_QUERY = 100;

export const DEAL_INDEXES: readonly CollectionIndexSpec[] = [
  {
    collection: DECISIONS,
    name: 'crmOrgId_dealId_decidedTime',
    key: { crmOrgId: 1, dealId: 1, decidedTime: 1 },
  },
  { collection: DECISIONS, name: 'integrationId_decidedTime', key: { integrationId: 1, decidedTime: 1 } },
  { collection: DOCUMENTS, name: 'crmOrgId_dealId', key: { crmOrgId: 1, dealId: 1 } },
  { collection: ASSOCIATIONS, name: 'crmOrgId_dealId', key: { crmOrgId: 1, dealId: 1 } },
];

export interface DealStore {
  /** Creates DEAL_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /** An integration's rules; none when never set. Read-only. */
  getRules(integrationId: string): Promise<DealRule[]>;
  /** An integration's rules with their version and the time they were set; undefined when never set. */
  getRulesDoc(integrationId: string): Promise<DealRulesDoc | undefined>;
  /** Replaces an integration's rules (validated: throws the ZodError, nothing written). Idempotent. */
  setRules(integrationId: string, rules: unknown): Promise<DealRulesDoc>;
  /** Writes one decision record; a second write of the same `_id` keeps the first. Idempotent. */
  recordDecision(decision: DealDecisionInput): Promise<{ recorded: boolean }>;
  /** A deal's decisions, newest first. Read-only. */
  listDealDecisions(crmOrgId: string, dealId: string, limit?: number): Promise<DealDecisionDoc[]>;
  /**
   * The latest deal version (`inputs.modifiedTime`) some decision read, for each of `dealIds` that has one.
   * Read-only.
   */
  decidedVersions(crmOrgId: string, dealIds: readonly string[]): Promise<Map<string, string>>;
  /** An integration's decisions, newest first. Read-only. */
  listIntegrationDecisions(integrationId: string, limit?: number): Promise<DealDecisionDoc[]>;
  /**
   * Claims the business key of a deal's document: inserts it, or returns the claim already there (another
   * worker's, or this one's before a crash). Idempotent; the claim returned is the one every writer uses.
   */
  claimDocument(claim: Omit<DealDocumentLinkDoc, 'createdTime' | 'written'>): Promise<DealDocumentLinkDoc>;
  /** Marks a claim's Books document written. Idempotent. */
  markDocumentWritten(key: string): Promise<void>;
  /** The documents rules created for a deal (S5.7: visible from it). Read-only. */
  documentsOfDeal(crmOrgId: string, dealId: string): Promise<DealDocumentLinkDoc[]>;
  /**
   * The documents under these business keys, in key order, absent ones left out: one `_id` point read each,
   * sent together, because on FerretDB any other filter decodes the whole collection (the automation reads
   * a deal's documents on every evaluation, and knows their keys from its rules).
   */
  documentsByKeys(keys: readonly string[]): Promise<DealDocumentLinkDoc[]>;
  /**
   * Stores a manual association (S4.3) under its key: inserted once, a second call finds the first and keeps
   * it. Idempotent; returns the association stored and whether this call made it.
   */
  associate(association: Omit<DealAssociationDoc, 'createdTime'>): Promise<{
    association: DealAssociationDoc;
    created: boolean;
  }>;
  /** Removes a manual association by its key; whether there was one. Idempotent. */
  dissociate(key: string): Promise<{ removed: boolean }>;
  /** One manual association by its key (a point read), undefined when absent. Read-only. */
  associationByKey(key: string): Promise<DealAssociationDoc | undefined>;
  /** A deal's manual associations, in key order. Read-only. */
  associationsOfDeal(crmOrgId: string, dealId: string): Promise<DealAssociationDoc[]>;
}

/** The MongoDB implementation over an injected sync-state `Db`; `now` is injectable for tests. */
export function createDealStore(db: Db, options: { now?: () => Date } = {}): DealStore {
  const now = clockOf(options);
  const rules = db.collection<Stored>(RULES);
  const decisions = db.collection<Stored>(DECISIONS);
  const documents = db.collection<Stored>(DOCUMENTS);
  const associations = db.collection<Stored>(ASSOCIATIONS);

  /** Inserts `doc` unless its `_id` exists; whether this call inserted it. */
  async function insertOnce(collection: typeof rules, doc: Stored): Promise<boolean> {
    try {
      await collection.insertOne(doc);
      return true;
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
  }

  /** The documents of one deal in a collection keyed by org and deal, in `_id` order, parsed. */
  async function ofDeal<S extends z.ZodType>(
    collection: typeof rules,
    schema: S,
    crmOrgId: string,
    dealId: string,
  ): Promise<z.output<S>[]> {
    const docs = await collection
      .find({ crmOrgId: KeyPartSchema.parse(crmOrgId), dealId: KeyPartSchema.parse(dealId) })
      .sort({ _id: 1 })
      .toArray();
    return docs.map((d) => schema.parse(d));
  }

  async function rulesDoc(integrationId: string): Promise<DealRulesDoc | undefined> {
    const doc = await rules.findOne({ _id: integrationId });
    return doc ? DealRulesDocSchema.parse(doc) : undefined;
  }

  return {
    ensureIndexes: () => createCollectionIndexes(db, DEAL_INDEXES),

    getRulesDoc: rulesDoc,

    async getRules(integrationId) {
      return (await rulesDoc(integrationId))?.rules ?? [];
    },

    async setRules(integrationId, raw) {
      const parsed = DealRulesSchema.parse(raw);
      const before = await rules.findOne({ _id: integrationId });
      const doc = DealRulesDocSchema.parse({
        _id: integrationId,
        rules: parsed.rules,
        version: before ? DealRulesDocSchema.parse(before).version + 1 : 1,
        updatedTime: now(),
      });
      const { _id, ...fields } = defined(doc);
      if (!before) {
        if (await insertOnce(rules, doc)) return doc;
      }
      await rules.updateOne({ _id }, { $set: fields });
      return doc;
    },

    async recordDecision(raw) {
      const doc = DealDecisionDocSchema.parse({ ...raw, decidedTime: new Date(raw.decidedTime) });
      return { recorded: await insertOnce(decisions, defined(doc)) };
    },

    async listDealDecisions(crmOrgId, dealId, limit = 200) {
      const docs = await decisions
        .find({ crmOrgId: KeyPartSchema.parse(crmOrgId), dealId: KeyPartSchema.parse(dealId) })
        .sort({ decidedTime: -1, _id: -1 })
        .limit(LimitSchema.parse(limit))
        .toArray();
      return docs.map((d) => DealDecisionDocSchema.parse(d));
    },

    async decidedVersions(crmOrgId, dealIds) {
      const versions = new Map<string, string>();
      for (const ids of chunks(
        dealIds.map((id) => KeyPartSchema.parse(id)),
        IDS_PER_QUERY,
      )) {
        const docs = await decisions
          .find({ crmOrgId: KeyPartSchema.parse(crmOrgId), dealId: { $in: ids } })
          .project<{ dealId: string; inputs: { modifiedTime?: string } }>({
            dealId: 1,
            'inputs.modifiedTime': 1,
          })
          .toArray();
        for (const { dealId, inputs } of docs) {
          // ISO instants of one format order as strings.
          const seen = versions.get(dealId);
          if (inputs.modifiedTime && (!seen || inputs.modifiedTime > seen))
            versions.set(dealId, inputs.modifiedTime);
        }
      }
      return versions;
    },

    async listIntegrationDecisions(integrationId, limit = 200) {
      const docs = await decisions
        .find({ integrationId: String(integrationId) })
        .sort({ decidedTime: -1, _id: -1 })
        .limit(LimitSchema.parse(limit))
        .toArray();
      return docs.map((d) => DealDecisionDocSchema.parse(d));
    },

    async claimDocument(claim) {
      const doc = DealDocumentLinkDocSchema.parse({ ...claim, createdTime: now(), written: false });
      if (await insertOnce(documents, doc)) return doc;
      return DealDocumentLinkDocSchema.parse(await documents.findOne({ _id: doc._id }));
    },

    async markDocumentWritten(key) {
      await documents.updateOne({ _id: key }, { $set: { written: true } });
    },

    documentsOfDeal: (crmOrgId, dealId) => ofDeal(documents, DealDocumentLinkDocSchema, crmOrgId, dealId),

    async documentsByKeys(keys) {
      const sorted = [...new Set(keys)].sort();
      const found = await Promise.all(sorted.map((key) => documents.findOne({ _id: key })));
      return found.filter((d) => d !== null).map((d) => DealDocumentLinkDocSchema.parse(d));
    },

    async associate(raw) {
      const doc = DealAssociationDocSchema.parse({ ...raw, createdTime: now() });
      if (await insertOnce(associations, doc)) return { association: doc, created: true };
      const kept = DealAssociationDocSchema.parse(await associations.findOne({ _id: doc._id }));
      return { association: kept, created: false };
    },

    async dissociate(key) {
      const { deletedCount } = await associations.deleteOne({ _id: DocIdSchema.parse(key) });
      return { removed: deletedCount > 0 };
    },

    async associationByKey(key) {
      const doc = await associations.findOne({ _id: DocIdSchema.parse(key) });
      return doc ? DealAssociationDocSchema.parse(doc) : undefined;
    },

    associationsOfDeal: (crmOrgId, dealId) =>
      ofDeal(associations, DealAssociationDocSchema, crmOrgId, dealId),
  };
}
