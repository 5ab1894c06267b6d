import type { Db, Document } from 'mongodb';
import { z } from 'zod';
import { addRunCounts, emptyRunCounts } from '../../domain/sync/counts';
import {
  DocIdSchema,
  IntegrationConfigSchema,
  ModuleNameSchema,
  RunCountsSchema,
  RunDocSchema,
  RunIdSchema,
  RunPageCountsDocSchema,
  RunStatusSchema,
  RunSkipSchema,
  RunTriggerSchema,
  SyncDirectionSchema,
  runCountsIdOf,
  type IntegrationConfig,
  type RunCounts,
  type RunCountsByModule,
  type RunDoc,
  type RunSkip,
  type RunStatus,
  type SyncDirection,
} from '../../domain/sync-state-schemas';
import { countSkips, type SkipReason } from '../../domain/sync/skips';
import { defined, isDuplicateKey, type Stored } from '../mongo-helpers';
import type { StoreOptions } from '../server-capabilities';
import {
  LimitSchema,
  SyncStateNotFoundError,
  clockOf,
  createCollectionIndexes,
  type CollectionIndexSpec,
} from './common';

/*
 * Runs and their per-page counts: one collection family. A run's totals are the sum of its pages' counts
 * (`run_page_counts`, one document per page, so a retried page counts once), read with the run every time.
 */

/** A run id or run number is taken by a different run, or a finished run is finished differently. */
export class RunConflictError extends Error {
  override readonly name = 'RunConflict';
}

const RUNS = 'runs';
const RUN_PAGE_COUNTS = 'run_page_counts';

export const RUN_INDEXES: readonly CollectionIndexSpec[] = [
  {
    collection: RUNS,
    name: 'integrationId_runNumber',
    key: { integrationId: 1, runNumber: -1 },
    unique: true,
  },
  { collection: RUN_PAGE_COUNTS, name: 'runId', key: { runId: 1 } },
];

export interface StartRunInput {
  runId: string;
  integrationId: string;
  runNumber: number;
  trigger: z.infer<typeof RunTriggerSchema>;
  /** The integration's configuration at the start: the whole run uses it (S3.7: edits apply next run). */
  config?: IntegrationConfig;
  configVersion?: number;
}

export interface FinishRunInput {
  /** `completed` is stored as `completed_with_failures` when any page counted a failure. */
  status: Exclude<RunStatus, 'running'>;
  reason?: string;
}

export interface AddRunCountsInput {
  runId: string;
  /** Deterministic per page (e.g. module, direction and the cursor the page started at). */
  pageKey: string;
  module: string;
  direction: SyncDirection;
  counts: Partial<RunCounts>;
  /** The page's counted skips with their reasons. */
  skips?: RunSkip[];
}

/** A run's skips: how many for each reason, and the records (the first `limit`), in the order read. */
export interface RunSkips {
  byReason: Partial<Record<SkipReason, number>>;
  total: number;
  records: (RunSkip & { module: string; direction: SyncDirection })[];
}

export interface RunsRepository {
  /** Creates RUN_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /**
   * Records a run as running and returns it. Idempotent on the run id; throws RunConflictError when the id or
   * the run number belongs to a different run.
   */
  startRun(input: StartRunInput): Promise<RunDoc>;
  /**
   * Ends a running run with its status and totals. Idempotent (finishing again the same way returns the
   * run); throws RunConflictError if it ended differently, SyncStateNotFoundError if there is no such run.
   */
  finishRun(runId: string, input: FinishRunInput): Promise<RunDoc>;
  /**
   * Adds one page's counts to a run. Concurrency-safe and idempotent per pageKey (a retried page counts once;
   * `counted` is false then). Throws ZodError for bad input.
   */
  addRunCounts(input: AddRunCountsInput): Promise<{ counted: boolean }>;
  /**
   * Replaces the counts of a page this caller added (addRunCounts answered `counted: true`), once what it
   * wrote turned out other than decided (refusals, records decided again). Idempotent.
   */
  correctRunCounts(input: AddRunCountsInput): Promise<void>;
  /** The records a run skipped and why, counted by reason. Read-only. */
  listRunSkips(runId: string, options?: { limit?: number }): Promise<RunSkips>;
  /** A run with its live totals; undefined when absent. Read-only. */
  getRun(runId: string): Promise<RunDoc | undefined>;
  /** The history of an integration (S3.5), newest first, before run number `before` if given. Read-only. */
  listRuns(integrationId: string, options: { limit: number; before?: number }): Promise<RunDoc[]>;
}

const AddRunCountsInputSchema = z.object({
  runId: RunIdSchema,
  pageKey: DocIdSchema,
  module: ModuleNameSchema,
  direction: SyncDirectionSchema,
  counts: RunCountsSchema,
  skips: z.array(RunSkipSchema).default([]),
});

/** Sums per-page counts into counts[module][direction] and the run's failure count. */
function sumPageCounts(pages: { module: string; direction: SyncDirection; counts: RunCounts }[]): {
  counts: RunCountsByModule;
  failureCount: number;
} {
  const counts: RunCountsByModule = {};
  let failureCount = 0;
  for (const page of pages) {
    const byDirection = (counts[page.module] ??= {});
    addRunCounts((byDirection[page.direction] ??= emptyRunCounts()), page.counts);
    failureCount += page.counts.failed;
  }
  return { counts, failureCount };
}

/** The MongoDB implementation of the runs collections, over an injected sync-state `Db`. */
export function createRunsRepository(db: Db, options: StoreOptions = {}): RunsRepository {
  const now = clockOf(options);
  const runs = db.collection<Stored>(RUNS);
  const runPageCounts = db.collection<Stored>(RUN_PAGE_COUNTS);

  /** Runs with their totals summed from the page counts (the authoritative source, even once finished). */
  async function withLiveCounts(docs: Stored[]): Promise<RunDoc[]> {
    if (docs.length === 0) return [];
    const pages = (
      await runPageCounts
        .find({ runId: { $in: docs.map((d) => d._id) } }, { projection: { skips: 0 } })
        .toArray()
    ).map((p) => RunPageCountsDocSchema.parse(p));
    return docs.map((doc) => {
      const run = RunDocSchema.parse(doc);
      return { ...run, ...sumPageCounts(pages.filter((p) => p.runId === run._id)) };
    });
  }

  async function readRun(id: string): Promise<RunDoc | undefined> {
    const doc = await runs.findOne({ _id: id });
    return doc ? (await withLiveCounts([doc]))[0] : undefined;
  }

  return {
    ensureIndexes: () => createCollectionIndexes(db, RUN_INDEXES),

    async startRun(raw) {
      const input = z
        .object({
          runId: RunIdSchema,
          integrationId: DocIdSchema,
          runNumber: z.number().int().positive(),
          trigger: RunTriggerSchema,
          config: IntegrationConfigSchema.optional(),
          configVersion: z.number().int().min(0).optional(),
        })
        .parse(raw);
      const conflict = (doc: Stored) =>
        new RunConflictError(
          `run ${input.runId} (${input.integrationId} #${input.runNumber}, ${input.trigger}) clashes with ` +
            `stored run ${doc._id} (${String(doc.integrationId)} #${String(doc.runNumber)}, ${String(doc.trigger)})`,
        );
      try {
        await runs.updateOne(
          { _id: input.runId },
          {
            $setOnInsert: {
              integrationId: input.integrationId,
              runNumber: input.runNumber,
              trigger: input.trigger,
              status: 'running',
              startedTime: now(),
              counts: {},
              failureCount: 0,
              ...(input.config && { config: input.config, configVersion: input.configVersion ?? 0 }),
            },
          },
          { upsert: true },
        );
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        // Either a concurrent start of the same run (fine, read it below) or the number is someone else's.
        const holder = await runs.findOne({ integrationId: input.integrationId, runNumber: input.runNumber });
        if (holder && holder._id !== input.runId) throw conflict(holder);
      }
      const doc = await runs.findOne({ _id: input.runId });
      if (!doc) throw new SyncStateNotFoundError(`run ${input.runId} vanished right after its start`);
      if (
        doc.integrationId !== input.integrationId ||
        doc.runNumber !== input.runNumber ||
        doc.trigger !== input.trigger
      )
        throw conflict(doc);
      const [run] = await withLiveCounts([doc]);
      return run!;
    },

    async finishRun(runId, raw) {
      const id = RunIdSchema.parse(runId);
      const input = z
        .object({
          status: RunStatusSchema.exclude(['running']),
          reason: z.string().min(1).max(2000).optional(),
        })
        .parse(raw);
      const run = await readRun(id);
      if (!run) throw new SyncStateNotFoundError(`run ${id} does not exist`);
      const totals = { counts: run.counts, failureCount: run.failureCount };
      const status: RunStatus =
        input.status === 'completed' && totals.failureCount > 0 ? 'completed_with_failures' : input.status;
      if (run.status === 'running') {
        const ended = defined({ status, endedTime: now(), reason: input.reason, ...totals });
        const result = await runs.updateOne({ _id: id, status: 'running' }, { $set: ended });
        if (result.matchedCount === 1) return RunDocSchema.parse({ ...run, ...ended });
      }
      // Already ended (a retry, or a concurrent finish): fine if it ended the same way.
      const current = (await readRun(id))!;
      const sameEnd =
        current.status === status ||
        (input.status === 'completed' && current.status === 'completed_with_failures');
      if (!sameEnd) throw new RunConflictError(`run ${id} already ended as ${current.status}, not ${status}`);
      return current;
    },

    async addRunCounts(raw) {
      const input = AddRunCountsInputSchema.parse(raw);
      try {
        await runPageCounts.insertOne({
          _id: runCountsIdOf(input.runId, input.pageKey),
          ...input,
          createdTime: now(),
        });
        return { counted: true };
      } catch (error) {
        if (isDuplicateKey(error)) return { counted: false };
        throw error;
      }
    },

    async correctRunCounts(raw) {
      const input = AddRunCountsInputSchema.parse(raw);
      await runPageCounts.updateOne(
        { _id: runCountsIdOf(input.runId, input.pageKey) },
        { $set: { counts: input.counts, skips: input.skips } },
      );
    },

    async listRunSkips(runId, options = {}) {
      const limit = LimitSchema.parse(options.limit ?? 1_000);
      const pages = (await runPageCounts.find({ runId: RunIdSchema.parse(runId) }).toArray())
        .map((p) => RunPageCountsDocSchema.parse(p))
        .sort((a, b) => a.createdTime.getTime() - b.createdTime.getTime() || a._id.localeCompare(b._id));
      const all = pages.flatMap((p) =>
        p.skips.map((k) => ({ ...k, module: p.module, direction: p.direction })),
      );
      return {
        byReason: countSkips(all.map((k) => ({ skip: k.reason }))),
        total: all.length,
        records: all.slice(0, limit),
      };
    },

    async getRun(runId) {
      return readRun(RunIdSchema.parse(runId));
    },

    async listRuns(integrationId, options) {
      const { limit, before } = z
        .object({ limit: LimitSchema, before: z.number().int().positive().optional() })
        .parse(options);
      const filter: Document = {
        integrationId: DocIdSchema.parse(integrationId),
        trigger: { $ne: 'dependency' },
      };
      if (before !== undefined) filter.runNumber = { $lt: before };
      const docs = await runs.find(filter).sort({ runNumber: -1 }).limit(limit).toArray();
      return withLiveCounts(docs);
    },
  };
}
