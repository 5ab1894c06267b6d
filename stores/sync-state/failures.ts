import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import { z } from 'zod';
import {
  DocIdSchema,
  FailureDocSchema,
  FailureInputSchema,
  FailureStatusSchema,
  ModuleNameSchema,
  RunIdSchema,
  failureIdOf,
  type FailureDoc,
  type FailureInput,
  type FailureStatus,
} from '../../domain/sync-state-schemas';
import { bulkUpsert, defined, type Stored } from '../mongo-helpers';
import { capabilitiesFor, type StoreOptions } from '../server-capabilities';
import {
  DocIdListSchema,
  LimitSchema,
  MAX_IDS,
  clockOf,
  createCollectionIndexes,
  type CollectionIndexSpec,
} from './common';

const COLLECTION = 'failures';

export const FAILURE_INDEXES: readonly CollectionIndexSpec[] = [
  {
    collection: COLLECTION,
    name: 'integrationId_status_modifiedTime',
    key: { integrationId: 1, status: 1, modifiedTime: -1 },
  },
  { collection: COLLECTION, name: 'runId', key: { runId: 1 } },
];

export interface ListFailuresOptions {
  status?: FailureStatus;
  module?: string;
  runId?: string;
  limit: number;
}

export interface FailuresRepository {
  /** Creates FAILURE_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /**
   * Records failed records (open again if they were reprocessed) in one unordered bulk write. Idempotent by
   * (integration, module, direction, record): a repeat updates the one failure and bumps `attempts`.
   */
  recordFailures(failures: readonly FailureInput[]): Promise<{ recorded: number }>;
  /** Failures of an integration, most recently failed first. Read-only. */
  listFailures(integrationId: string, options: ListFailuresOptions): Promise<FailureDoc[]>;
  /** These failures, for reprocessing. Read-only. */
  getFailures(ids: readonly string[]): Promise<FailureDoc[]>;
  /** Marks open failures reprocessed; returns how many changed. Idempotent. */
  markFailuresReprocessed(ids: readonly string[]): Promise<number>;
  /** Marks failures resolved (fixed or dismissed by an operator); returns how many changed. Idempotent. */
  markFailuresResolved(ids: readonly string[]): Promise<number>;
}

/** The MongoDB implementation of the failures collection, over an injected sync-state `Db`. */
export function createFailuresRepository(db: Db, options: StoreOptions = {}): FailuresRepository {
  const now = clockOf(options);
  const capabilities = capabilitiesFor(db, options.capabilities);
  const failures = db.collection<Stored>(COLLECTION);
  const parseFailure = (doc: unknown) => FailureDocSchema.parse(doc);

  async function setFailureStatus(ids: readonly string[], from: FailureStatus[], to: FailureStatus) {
    const parsed = DocIdListSchema.parse(ids);
    if (parsed.length === 0) return 0;
    const result = await failures.updateMany(
      { _id: { $in: parsed }, status: { $in: from } },
      { $set: { status: FailureStatusSchema.parse(to), modifiedTime: now() } },
    );
    return result.modifiedCount;
  }

  return {
    ensureIndexes: () => createCollectionIndexes(db, FAILURE_INDEXES),

    async recordFailures(raw) {
      const inputs = z.array(FailureInputSchema).max(MAX_IDS).parse(raw);
      const time = now();
      // One op per failure id: the same record twice in a batch is one failure, the last report wins.
      const byId = new Map(
        inputs.map((f) => [failureIdOf(f.integrationId, f.module, f.direction, f.recordId), f]),
      );
      const ops: AnyBulkWriteOperation<Stored>[] = [...byId].map(([id, f]) => ({
        updateOne: {
          filter: { _id: id },
          update: {
            $set: defined({
              runId: f.runId,
              kind: f.kind,
              payloadId: f.payloadId,
              field: f.field,
              reason: f.reason,
              payload: f.payload,
              status: 'open',
              modifiedTime: time,
            }),
            ...(f.payloadId === undefined ? { $unset: { payloadId: '' } } : {}),
            $setOnInsert: {
              integrationId: f.integrationId,
              module: f.module,
              direction: f.direction,
              recordId: f.recordId,
              createdTime: time,
            },
            $inc: { attempts: 1 },
          },
          upsert: true,
        },
      }));
      // Only a concurrent first report of the same failure can collide (on _id); the replay then matches it.
      // A replay may bump `attempts` once more for an op the refused bulk had applied: a count, not an id.
      const outcome = await bulkUpsert(failures, ops, (await capabilities()).maxUpdatesPerCommand);
      if (outcome.duplicates.length > 0)
        throw new Error(
          `could not record ${outcome.duplicates.length} failure(s): ${outcome.duplicates[0]!.message}`,
        );
      return { recorded: ops.length };
    },

    async listFailures(integrationId, options) {
      const { status, module, runId, limit } = z
        .object({
          status: FailureStatusSchema.optional(),
          module: ModuleNameSchema.optional(),
          runId: RunIdSchema.optional(),
          limit: LimitSchema,
        })
        .parse(options);
      const filter: Document = defined({
        integrationId: DocIdSchema.parse(integrationId),
        status,
        module,
        runId,
      });
      const docs = await failures.find(filter).sort({ modifiedTime: -1, _id: 1 }).limit(limit).toArray();
      return docs.map(parseFailure);
    },

    async getFailures(ids) {
      const parsed = DocIdListSchema.parse(ids);
      if (parsed.length === 0) return [];
      const docs = await failures
        .find({ _id: { $in: parsed } })
        .sort({ _id: 1 })
        .toArray();
      return docs.map(parseFailure);
    },

    markFailuresReprocessed(ids) {
      return setFailureStatus(ids, ['open'], 'reprocessed');
    },

    markFailuresResolved(ids) {
      return setFailureStatus(ids, ['open', 'reprocessed'], 'resolved');
    },
  };
}
