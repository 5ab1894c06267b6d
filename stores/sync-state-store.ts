import { addRunCounts, emptyRunCounts } from '../domain/sync/counts';
import { randomUUID } from 'node:crypto';
import {
  MongoBulkWriteError,
  MongoServerError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type IndexDirection,
} from 'mongodb';
import { z } from 'zod';
import {
  AuditActionSchema,
  AuditDocSchema,
  AuditInputSchema,
  CrmModuleSchema,
  CursorDocSchema,
  DeltaCursorSchema,
  DocIdSchema,
  FailureDocSchema,
  FailureInputSchema,
  IntegrationConfigSchema,
  type IntegrationConfig,
  FailureStatusSchema,
  IntegrationDocSchema,
  IntegrationInputSchema,
  KeyPartSchema,
  LinkDocSchema,
  LinkEntitySchema,
  LinkInputSchema,
  ModuleNameSchema,
  RunCountsSchema,
  RunDocSchema,
  RunIdSchema,
  RunPageCountsDocSchema,
  RunStatusSchema,
  RunTriggerSchema,
  SideSchema,
  SyncDirectionSchema,
  TriggerDecisionDocSchema,
  cursorIdOf,
  failureIdOf,
  integrationIdOf,
  linkIdOf,
  runCountsIdOf,
  type AuditDoc,
  type AuditInput,
  type DeltaCursor,
  type FailureDoc,
  type FailureInput,
  type FailureStatus,
  type IntegrationDoc,
  type IntegrationInput,
  type LinkDoc,
  type LinkEntity,
  type LinkInput,
  type RunCounts,
  type RunCountsByModule,
  type RunDoc,
  type RunStatus,
  type Side,
  type SyncDirection,
  type TriggerDecisionDoc,
  type TriggerDecisionInput,
} from '../domain/sync-state-schemas';
import { cursorOf, deltaIndexKey, findChangedSince, nextModifiedTime, type DeltaPage } from './delta';
import { insertRefusals } from './record-collection';
import { findWithin, isFerretDb } from './server-kind';

// ---------------------------------------------------------------------------------------------------------
// Errors

/** A save named a version of the integration that is no longer the stored one: re-read and re-apply. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflict';
  constructor(
    readonly integrationId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      actualVersion === undefined
        ? `integration ${integrationId} does not exist (the save expected version ${expectedVersion})`
        : `integration ${integrationId} is at version ${actualVersion}, the save expected version ${expectedVersion}`,
    );
  }
}

/** S1.1: the CRM org already has a two-way integration in this environment; a further one is one-way only. */
export class TwoWayIntegrationExistsError extends Error {
  override readonly name = 'TwoWayIntegrationExists';
  constructor(
    readonly crmOrgId: string,
    readonly environment: string,
    readonly existingIntegrationId: string | undefined,
  ) {
    super(
      `CRM org ${crmOrgId} already has a two-way integration in ${environment}` +
        `${existingIntegrationId ? ` (${existingIntegrationId})` : ''}; a second Books org can only be one-way`,
    );
  }
}

/** A run id or run number is taken by a different run, or a finished run is finished differently. */
export class RunConflictError extends Error {
  override readonly name = 'RunConflict';
}

/** The document a write needs does not exist. */
export class SyncStateNotFoundError extends Error {
  override readonly name = 'SyncStateNotFound';
}

// ---------------------------------------------------------------------------------------------------------
// Collections and indexes

export const SYNC_STATE_COLLECTIONS = {
  integrations: 'integrations',
  cursors: 'cursors',
  runs: 'runs',
  runPageCounts: 'run_page_counts',
  failures: 'failures',
  audit: 'audit',
  triggerDecisions: 'trigger_decisions',
} as const;

/**
 * The links of each entity in a collection of their own (`links_customer`, `links_item`, …): a sync step
 * reads the links of one or two entities, and on FerretDB v1 a read decodes its whole collection, so one
 * collection for all entities made every step pay for the links of every other (an initial sync of 100,000
 * records read five collections of up to 100,000 links). On MongoDB it is the same index per collection.
 */
export function linksCollectionOf(entity: LinkEntity): string {
  return `links_${LinkEntitySchema.parse(entity)}`;
}

/** Where every link was kept before the per-entity collections; ensureIndexes moves what it still holds. */
export const LEGACY_LINKS_COLLECTION = 'links';

export interface IndexSpec {
  collection: string;
  name: string;
  key: Record<string, IndexDirection>;
  unique?: true;
}

/** Every index the store reads through or relies on for idempotency; created by `ensureIndexes`. */
export const SYNC_STATE_INDEXES: readonly IndexSpec[] = [
  { collection: 'integrations', name: 'crmOrgId_environment', key: { crmOrgId: 1, environment: 1 } },
  // One live two-way integration per CRM org and environment (S1.1), enforced atomically by the server.
  { collection: 'integrations', name: 'twoWaySlot', key: { twoWaySlot: 1 }, unique: true },
  // A CRM record and a Books record are each linked at most once per integration and entity.
  ...LinkEntitySchema.options.flatMap((entity): IndexSpec[] => [
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_crmId',
      key: { integrationId: 1, crmId: 1 },
      unique: true,
    },
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_booksId',
      key: { integrationId: 1, booksId: 1 },
      unique: true,
    },
    {
      collection: linksCollectionOf(entity),
      name: 'integrationId_modifiedTime_id',
      key: deltaIndexKey('integrationId'),
    },
  ]),
  {
    collection: 'runs',
    name: 'integrationId_runNumber',
    key: { integrationId: 1, runNumber: -1 },
    unique: true,
  },
  { collection: 'run_page_counts', name: 'runId', key: { runId: 1 } },
  {
    collection: 'failures',
    name: 'integrationId_status_modifiedTime',
    key: { integrationId: 1, status: 1, modifiedTime: -1 },
  },
  { collection: 'failures', name: 'runId', key: { runId: 1 } },
  { collection: 'audit', name: 'integrationId_at', key: { integrationId: 1, at: -1 } },
  { collection: 'audit', name: 'action_at', key: { action: 1, at: -1 } },
  { collection: 'audit', name: 'at', key: { at: -1 } },
  {
    collection: 'trigger_decisions',
    name: 'crmOrgId_dealId_decidedTime',
    key: { crmOrgId: 1, dealId: 1, decidedTime: 1 },
  },
];

// ---------------------------------------------------------------------------------------------------------
// The interface

export interface LinkConflict {
  entity: LinkEntity;
  crmId: string;
  booksId: string;
  reason: string;
}

export interface UpsertLinksResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Links refused because their Books record is linked to another CRM record (or listed twice). */
  conflicts: LinkConflict[];
}

export type MarkDeletedResult = 'marked' | 'already_marked' | 'not_found';

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
}

export interface ListFailuresOptions {
  status?: FailureStatus;
  module?: string;
  runId?: string;
  limit: number;
}

export interface AuditQuery {
  integrationId?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
}

export interface SyncStateStore {
  /** Creates every index of SYNC_STATE_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;

  /** The integration, parsed; undefined when absent. Throws a ZodError for a malformed id. */
  getIntegration(integrationId: string): Promise<IntegrationDoc | undefined>;
  /**
   * Creates (version 0) or updates (the version read) an integration and returns it at its new version.
   * Throws VersionConflictError for a stale version, TwoWayIntegrationExistsError (S1.1), ZodError for bad
   * input. Idempotent for a retry of a save that already landed (same content at the next version).
   * FerretDB v1 does not isolate concurrent conditional updates, so callers serialise saves of one
   * integration (its entity workflow does); on MongoDB the version check is atomic.
   * `statusOnly` (pause, resume, disable, a re-enable as it was): only the status is written, still on the
   * version read, and the version stays — it is the configuration's version, which runs record.
   */
  saveIntegration(input: IntegrationInput, opts?: { statusOnly?: boolean }): Promise<IntegrationDoc>;
  /** Every integration of a CRM org (all environments and Books orgs), by id. Read-only. */
  listIntegrationsForCrmOrg(crmOrgId: string): Promise<IntegrationDoc[]>;

  /**
   * The links of these CRM records, in one query; with `crmModule`, only those from that CRM module (the
   * records' own: CRM ids are unique across modules). On FerretDB the module keeps the other modules' links
   * of the entity from being sent when the id list is left to the store. Read-only; ZodError for a malformed id.
   */
  findLinksByCrmIds(
    integrationId: string,
    entity: LinkEntity,
    crmIds: readonly string[],
    crmModule?: string,
  ): Promise<LinkDoc[]>;
  /**
   * findLinksByCrmIds for several entities at once: one query per entity's collection, all sent together. The
   * links of all of them together; each link's `entity` tells whose it is.
   */
  findLinksByCrmIdsOf(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
  ): Promise<LinkDoc[]>;
  /** The links of these Books records, in one query. Read-only; ZodError for a malformed id. */
  findLinksByBooksIds(
    integrationId: string,
    entity: LinkEntity,
    booksIds: readonly string[],
  ): Promise<LinkDoc[]>;
  /**
   * Creates or updates links keyed by (integrationId, entity, crmId) in one unordered bulk write. Idempotent:
   * an unchanged link is not written (its modifiedTime stays). A Books record already linked to another CRM
   * record is reported in `conflicts`, not thrown. Throws ZodError for bad input (nothing written).
   */
  upsertLinks(links: readonly LinkInput[]): Promise<UpsertLinksResult>;
  /** Marks a link deleted on one side (deletes are not propagated, S3.8). Idempotent; never removes the link. */
  markLinkDeleted(
    integrationId: string,
    entity: LinkEntity,
    side: Side,
    recordId: string,
  ): Promise<MarkDeletedResult>;
  /** Links (of these entities, else of all) changed after `after`, oldest first, with the next cursor. Read-only. */
  findLinksChangedSince(
    integrationId: string,
    options: { after?: DeltaCursor | null; limit: number; entities?: readonly LinkEntity[] },
  ): Promise<DeltaPage<LinkDoc>>;

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
  /** A run with its live totals; undefined when absent. Read-only. */
  getRun(runId: string): Promise<RunDoc | undefined>;
  /** The history of an integration (S3.5), newest first, before run number `before` if given. Read-only. */
  listRuns(integrationId: string, options: { limit: number; before?: number }): Promise<RunDoc[]>;

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

  /**
   * Appends audit entries (S9.8) in one unordered insert. Idempotent when entries carry deterministic ids:
   * an id already stored is skipped (counted in `duplicates`); any other write error is thrown.
   */
  appendAudit(entries: readonly AuditInput[]): Promise<{ appended: number; duplicates: number }>;
  /** Audit entries matching every given condition, newest first. Read-only. */
  queryAudit(query: AuditQuery): Promise<AuditDoc[]>;

  /** Records why a deal trigger fired or not (S5.6). Idempotent on the decision id (the first one stays). */
  recordTriggerDecision(decision: TriggerDecisionInput): Promise<{ recorded: boolean }>;
  /** A deal's trigger decisions, oldest first. Read-only. */
  listTriggerDecisions(
    crmOrgId: string,
    dealId: string,
    options?: { limit?: number },
  ): Promise<TriggerDecisionDoc[]>;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

type Stored = Document & { _id: string };

const DUPLICATE_KEY = 11000;
const MAX_IDS = 10_000;
const AddRunCountsInputSchema = z.object({
  runId: RunIdSchema,
  pageKey: DocIdSchema,
  module: ModuleNameSchema,
  direction: SyncDirectionSchema,
  counts: RunCountsSchema,
});

/** The most ids one link read lists (a sync chunk's links are read in one). */
const MAX_READ_IDS = 100_000;
const IdListSchema = z.array(KeyPartSchema).max(MAX_READ_IDS);
const DocIdListSchema = z.array(DocIdSchema).max(MAX_IDS);
const LimitSchema = z.number().int().positive().max(MAX_IDS);

/**
 * A write refused by a unique index. MongoDB says E11000; FerretDB v1 says so for inserts and upserts, but
 * refuses an update that collides with a unique index as InternalError (code 1) "UNIQUE constraint failed",
 * failing the whole update command (no per-op writeErrors).
 */
function isDuplicateKey(error: unknown): boolean {
  const matches = (code: unknown, message: unknown) =>
    code === DUPLICATE_KEY ||
    (code === 1 && typeof message === 'string' && message.includes('UNIQUE constraint failed'));
  if (error instanceof MongoBulkWriteError) {
    if (error.writeConcernError) return false;
    const errors = [error.writeErrors].flat().filter((e) => e !== undefined);
    return errors.length > 0
      ? errors.every((e) => matches(e.code, e.errmsg))
      : matches(error.code, error.message);
  }
  return error instanceof MongoServerError && matches(error.code, error.message);
}

/** JSON with sorted keys and no undefined members: equal content gives equal text whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** Drops undefined members: the driver would store them as null, which the schemas refuse. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

interface BulkOutcome {
  upserted: number;
  modified: number;
  /** Indexes (into the ops) refused by a unique index, with the server's message. */
  duplicates: { index: number; message: string }[];
  /**
   * The ops were replayed one by one after a refused bulk: ops the bulk had already applied replay as no-ops,
   * so `upserted` and `modified` undercount and the caller should count the ops that did not fail instead.
   */
  replayed: boolean;
}

/**
 * One unordered bulkWrite of idempotent upserts. On duplicate-key errors it replays the ops one by one to
 * learn which failed: FerretDB v1 stops an unordered bulk at its first error and reports index 0 with zero
 * counts, so neither its indexes nor its counts can be trusted. Replaying is safe because every op is an
 * upsert keyed on a unique index; other errors are thrown as they are (retryable by the caller).
 */
const MAX_OPS_PER_COMMAND = 50;

/**
 * An insert as the equivalent insert-if-absent upsert: replaying it after a partly applied batch is then
 * harmless (FerretDB may have stored some of a batch it reported as failed).
 */
function asUpsert(op: AnyBulkWriteOperation<Stored>): AnyBulkWriteOperation<Stored> {
  if (!('insertOne' in op)) return op;
  const { _id, ...fields } = op.insertOne.document as Stored;
  return { updateOne: { filter: { _id }, update: { $setOnInsert: fields }, upsert: true } };
}

async function bulkUpsert(
  collection: Collection<Stored>,
  ops: AnyBulkWriteOperation<Stored>[],
): Promise<BulkOutcome> {
  if (ops.length === 0) return { upserted: 0, modified: 0, duplicates: [], replayed: false };
  try {
    // FerretDB v1 (SQLite) never answers an update command whose statements match 100 or more stored
    // documents, so writes go out in commands of at most 50 operations (one command on small batches).
    const total = { upserted: 0, modified: 0 };
    for (let i = 0; i < ops.length; i += MAX_OPS_PER_COMMAND) {
      const result = await collection.bulkWrite(ops.slice(i, i + MAX_OPS_PER_COMMAND), { ordered: false });
      total.upserted += result.upsertedCount + result.insertedCount;
      total.modified += result.modifiedCount;
    }
    return { ...total, duplicates: [], replayed: false };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  const outcome: BulkOutcome = { upserted: 0, modified: 0, duplicates: [], replayed: true };
  for (const [index, op] of ops.entries()) {
    try {
      const result = await collection.bulkWrite([asUpsert(op)], { ordered: true });
      outcome.upserted += result.upsertedCount + result.insertedCount;
      outcome.modified += result.modifiedCount;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      outcome.duplicates.push({ index, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return outcome;
}

/**
 * Moves what a store from before the per-entity link collections kept in one `links` collection into each
 * link's own collection, then drops the old one. Safe to repeat after a crash: a link moved already is
 * refused by its _id and left as it is. A document that is no valid link stays where it is, and so does the
 * old collection with it: nothing is lost.
 */
async function moveLegacyLinks(db: Db): Promise<void> {
  const found = await db.listCollections({ name: LEGACY_LINKS_COLLECTION }, { nameOnly: true }).toArray();
  if (found.length === 0) return;
  const legacy = db.collection<Stored>(LEGACY_LINKS_COLLECTION);
  let kept = 0;
  let batch: Stored[] = [];
  const move = async () => {
    for (const entity of LinkEntitySchema.options) {
      const docs = batch.filter((d) => d.entity === entity);
      await insertRefusals(
        db.collection<Stored>(linksCollectionOf(entity)),
        docs.map((document) => ({ insertOne: { document } })),
      );
    }
    batch = [];
  };
  for await (const doc of legacy.find({})) {
    if (!LinkDocSchema.safeParse(doc).success) kept++;
    else batch.push(doc);
    if (batch.length >= 1000) await move();
  }
  await move();
  if (kept === 0) await legacy.drop();
}

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

/** Where the twoWaySlot index puts an integration: one live two-way integration per CRM org and environment. */
function twoWaySlot(
  doc: { direction: string; status: string; crmOrgId: string; environment: string },
  id: string,
) {
  return doc.direction === 'two_way' && doc.status !== 'disabled' ? `${doc.crmOrgId}/${doc.environment}` : id;
}

// ---------------------------------------------------------------------------------------------------------
// The MongoDB implementation

/** The MongoDB implementation, over an injected sync-state `Db`. `now` is injectable for tests. */
export function createSyncStateStore(db: Db, options: { now?: () => Date } = {}): SyncStateStore {
  const now = options.now ?? (() => new Date());
  const col = (name: keyof typeof SYNC_STATE_COLLECTIONS) =>
    db.collection<Stored>(SYNC_STATE_COLLECTIONS[name]);
  const integrations = col('integrations');
  const linksOf = (entity: LinkEntity) => db.collection<Stored>(linksCollectionOf(entity));
  const cursors = col('cursors');
  const runs = col('runs');
  const runPageCounts = col('runPageCounts');
  const failures = col('failures');
  const audit = col('audit');
  const triggerDecisions = col('triggerDecisions');

  const parseIntegration = (doc: unknown) => IntegrationDocSchema.parse(doc);
  const parseLink = (doc: unknown) => LinkDocSchema.parse(doc);
  const parseFailure = (doc: unknown) => FailureDocSchema.parse(doc);

  /** Runs with their totals summed from the page counts (the authoritative source, even once finished). */
  async function withLiveCounts(docs: Stored[]): Promise<RunDoc[]> {
    if (docs.length === 0) return [];
    const pages = (await runPageCounts.find({ runId: { $in: docs.map((d) => d._id) } }).toArray()).map((p) =>
      RunPageCountsDocSchema.parse(p),
    );
    return docs.map((doc) => {
      const run = RunDocSchema.parse(doc);
      return { ...run, ...sumPageCounts(pages.filter((p) => p.runId === run._id)) };
    });
  }

  async function readRun(id: string): Promise<RunDoc | undefined> {
    const doc = await runs.findOne({ _id: id });
    return doc ? (await withLiveCounts([doc]))[0] : undefined;
  }

  async function linksByCrmIds(
    integrationId: string,
    wanted: readonly { entity: LinkEntity; crmIds: readonly string[] }[],
    crmModule?: string,
  ): Promise<LinkDoc[]> {
    const id = DocIdSchema.parse(integrationId);
    // A link's _id is derived from its CRM side, entity included; each entity's links are read from its own
    // collection.
    const idsOf = new Map<LinkEntity, string[]>();
    for (const { entity, crmIds } of wanted) {
      const e = LinkEntitySchema.parse(entity);
      const ids = IdListSchema.parse(crmIds).map((crmId) => linkIdOf(id, e, crmId));
      if (ids.length > 0) idsOf.set(e, [...(idsOf.get(e) ?? []), ...ids]);
    }
    const base = {
      integrationId: id,
      ...(crmModule !== undefined && { crmModule: CrmModuleSchema.parse(crmModule) }),
    };
    const found = await Promise.all(
      [...idsOf].map(([entity, ids]) => findWithin(db, linksOf(entity), base, { _id: ids })),
    );
    return found.flat().map(parseLink);
  }

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
    async ensureIndexes() {
      for (const spec of SYNC_STATE_INDEXES) {
        await db
          .collection(spec.collection)
          .createIndex(spec.key, { name: spec.name, ...(spec.unique ? { unique: true } : {}) });
      }
      await moveLegacyLinks(db);
    },

    // ----- integrations

    async getIntegration(integrationId) {
      const doc = await integrations.findOne({ _id: DocIdSchema.parse(integrationId) });
      return doc ? parseIntegration(doc) : undefined;
    },

    async saveIntegration(raw, opts = {}) {
      const input = IntegrationInputSchema.parse(raw);
      const id = integrationIdOf(input.crmOrgId, input.booksOrgId, input.environment);
      const fields = {
        crmOrgId: input.crmOrgId,
        booksOrgId: input.booksOrgId,
        environment: input.environment,
        direction: input.direction,
        status: input.status,
        config: input.config,
        twoWaySlot: twoWaySlot(input, id),
      };
      const time = now();
      const landed = (doc: Stored | null, version: number) =>
        doc !== null &&
        doc.version === version &&
        canonical(IntegrationDocSchema.parse(doc)) ===
          canonical(IntegrationDocSchema.parse({ ...doc, ...fields, version }));
      const twoWayError = async () => {
        const holder = await integrations.findOne({ twoWaySlot: fields.twoWaySlot, _id: { $ne: id } });
        return new TwoWayIntegrationExistsError(input.crmOrgId, input.environment, holder?._id);
      };

      if (input.version === 0) {
        try {
          await integrations.insertOne({
            _id: id,
            ...fields,
            version: 1,
            createdTime: time,
            modifiedTime: time,
          });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          const current = await integrations.findOne({ _id: id });
          if (current && landed(current, 1)) return parseIntegration(current);
          if (current) throw new VersionConflictError(id, 0, z.number().parse(current.version));
          throw await twoWayError();
        }
      } else {
        let matched: number;
        const statusOnly = opts.statusOnly === true;
        const set = statusOnly ? { status: fields.status, twoWaySlot: fields.twoWaySlot } : fields;
        const next = statusOnly ? input.version : input.version + 1;
        try {
          const result = await integrations.updateOne(
            { _id: id, version: input.version },
            { $set: { ...set, version: next, modifiedTime: time } },
          );
          matched = result.matchedCount;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          throw await twoWayError();
        }
        if (matched === 0) {
          const current = await integrations.findOne({ _id: id });
          if (current && landed(current, next)) return parseIntegration(current);
          throw new VersionConflictError(
            id,
            input.version,
            current ? z.number().parse(current.version) : undefined,
          );
        }
      }
      const saved = await integrations.findOne({ _id: id });
      if (!saved) throw new SyncStateNotFoundError(`integration ${id} vanished right after its save`);
      return parseIntegration(saved);
    },

    async listIntegrationsForCrmOrg(crmOrgId) {
      const docs = await integrations
        .find({ crmOrgId: KeyPartSchema.parse(crmOrgId) })
        .sort({ _id: 1 })
        .toArray();
      return docs.map(parseIntegration);
    },

    // ----- links

    findLinksByCrmIds(integrationId, entity, crmIds, crmModule) {
      return linksByCrmIds(integrationId, [{ entity, crmIds }], crmModule);
    },

    findLinksByCrmIdsOf(integrationId, wanted) {
      return linksByCrmIds(integrationId, wanted);
    },

    async findLinksByBooksIds(integrationId, entity, booksIds) {
      const ids = IdListSchema.parse(booksIds);
      if (ids.length === 0) return [];
      const docs = await findWithin(
        db,
        linksOf(entity),
        { integrationId: DocIdSchema.parse(integrationId) },
        { booksId: ids },
      );
      return docs.map(parseLink);
    },

    async upsertLinks(raw) {
      const inputs = z.array(LinkInputSchema).max(MAX_IDS).parse(raw);
      const result: UpsertLinksResult = { inserted: 0, updated: 0, unchanged: 0, conflicts: [] };
      if (inputs.length === 0) return result;

      const linkIds = inputs.map((l) => linkIdOf(l.integrationId, l.entity, l.crmId));
      const booksKey = (l: { integrationId: string; entity: string; booksId: string }) =>
        `${l.integrationId}|${l.entity}|${l.booksId}`;
      const contentOf = (link: LinkInput) => ({
        crmModule: link.crmModule,
        booksId: link.booksId,
        lastSynced: link.lastSynced,
        contentHash: defined(link.contentHash),
        ...(link.parentBooksId === undefined ? {} : { parentBooksId: link.parentBooksId }),
      });
      const keyOf = (link: LinkInput) => ({
        integrationId: link.integrationId,
        entity: link.entity,
        crmId: link.crmId,
      });
      const time = now();
      const newLink = (id: string, link: LinkInput) =>
        ({ _id: id, ...keyOf(link), ...contentOf(link), createdTime: time, modifiedTime: time }) as Stored;

      // The batch against itself first: a CRM record or a Books record listed twice.
      const checked: { id: string; link: LinkInput }[] = [];
      const seenIds = new Set<string>();
      const claimedBooks = new Map<string, string>();
      for (const [index, link] of inputs.entries()) {
        const id = linkIds[index]!;
        const conflict = (reason: string) =>
          result.conflicts.push({ entity: link.entity, crmId: link.crmId, booksId: link.booksId, reason });
        if (seenIds.has(id)) {
          conflict('the batch lists this CRM record twice');
          continue;
        }
        seenIds.add(id);
        const holder = claimedBooks.get(booksKey(link));
        if (holder !== undefined && holder !== link.crmId) {
          conflict(`Books record ${link.booksId} is already linked to CRM record ${holder}`);
          continue;
        }
        claimedBooks.set(booksKey(link), link.crmId);
        checked.push({ id, link });
      }

      // Each entity's links in their own collection, one entity after another.
      for (const entity of new Set(checked.map((p) => p.link.entity))) {
        await writeEntityLinks(
          linksOf(entity),
          checked.filter((p) => p.link.entity === entity),
        );
      }
      return result;

      async function writeEntityLinks(links: Collection<Stored>, batch: typeof checked) {
        let pending = batch;
        // On FerretDB every read but one by _id decodes the whole collection, so new links are inserted before
        // anything is read: only the ones refused (stored already, or their Books record held) go on to the
        // read. MongoDB reads them from the _id index first.
        if (pending.length > 0 && (await isFerretDb(db))) {
          const refused = await insertRefusals(
            links,
            pending.map((p) => ({ insertOne: { document: newLink(p.id, p.link) } })),
          );
          result.inserted += pending.length - refused.size;
          pending = pending.filter((_p, index) => refused.has(index));
        }
        // The links these records already have. A Books record held by another link is found by the unique
        // index on the write (and named below): a read by booksId would cost a scan on FerretDB.
        const byId = new Map(
          (pending.length
            ? await findWithin(
                db,
                links,
                {},
                {
                  // Their integrations too: on FerretDB, with a long id list, only their links are sent.
                  integrationId: [...new Set(pending.map((p) => p.link.integrationId))],
                  _id: pending.map((p) => p.id),
                },
              )
            : []
          )
            .map(parseLink)
            .map((l) => [l._id, l]),
        );

        const ops: AnyBulkWriteOperation<Stored>[] = [];
        const opInputs: LinkInput[] = [];
        const opKinds: ('insert' | 'update')[] = [];
        for (const { id, link } of pending) {
          const content = contentOf(link);
          const current = byId.get(id);
          if (current) {
            const stored = {
              crmModule: current.crmModule,
              booksId: current.booksId,
              lastSynced: current.lastSynced,
              contentHash: current.contentHash,
              ...(current.parentBooksId === undefined ? {} : { parentBooksId: current.parentBooksId }),
            };
            if (canonical(stored) === canonical(content)) {
              result.unchanged += 1;
              continue;
            }
          }
          // Filter on _id (derived from the key): FerretDB v1 answers only _id equality without a full scan.
          ops.push(
            current
              ? {
                  updateOne: {
                    filter: { _id: id },
                    update: {
                      $set: { ...content, modifiedTime: nextModifiedTime(current.modifiedTime, time) },
                      ...(content.parentBooksId === undefined && current.parentBooksId !== undefined
                        ? { $unset: { parentBooksId: '' } }
                        : {}),
                      $setOnInsert: { ...keyOf(link), createdTime: time },
                    },
                    upsert: true,
                  },
                }
              : // A new link is an insert: on FerretDB an upsert is an update, many times slower. A concurrent
                // insert of the same link is refused by the _id and reported like any duplicate key.
                { insertOne: { document: newLink(id, link) } },
          );
          opInputs.push(link);
          opKinds.push(current ? 'update' : 'insert');
        }

        const outcome = await bulkUpsert(links, ops);
        // Refused by the unique Books-side index: named with the link holding the Books record (a read only when
        // something was refused, which is rare).
        const refusedLinks = outcome.duplicates.map((d) => opInputs[d.index]!);
        const holders = refusedLinks.length
          ? (
              await links
                .find({
                  $or: refusedLinks.map((l) => ({
                    integrationId: l.integrationId,
                    entity: l.entity,
                    booksId: l.booksId,
                  })),
                })
                .toArray()
            ).map(parseLink)
          : [];
        for (const [i, { message }] of outcome.duplicates.entries()) {
          const link = refusedLinks[i]!;
          const holder = holders.find((h) => booksKey(h) === booksKey(link) && h.crmId !== link.crmId);
          result.conflicts.push({
            entity: link.entity,
            crmId: link.crmId,
            booksId: link.booksId,
            reason: holder
              ? `Books record ${link.booksId} is already linked to CRM record ${holder.crmId}`
              : `refused by a unique link index (linked concurrently?): ${message}`,
          });
        }
        if (outcome.replayed) {
          const refused = new Set(outcome.duplicates.map((d) => d.index));
          const applied = opKinds.filter((_kind, index) => !refused.has(index));
          const inserted = applied.filter((kind) => kind === 'insert').length;
          result.inserted += inserted;
          result.updated += applied.length - inserted;
        } else {
          result.inserted += outcome.upserted;
          result.updated += outcome.modified;
          result.unchanged += ops.length - outcome.upserted - outcome.modified;
        }
      }
    },

    async markLinkDeleted(integrationId, entity, side, recordId) {
      const deletedIn = SideSchema.parse(side);
      const field = deletedIn === 'crm' ? 'crmId' : 'booksId';
      const links = linksOf(entity);
      const doc = await links.findOne({
        integrationId: DocIdSchema.parse(integrationId),
        [field]: KeyPartSchema.parse(recordId),
      });
      if (!doc) return 'not_found';
      const link = parseLink(doc);
      if (link.deletedIn !== undefined) return 'already_marked';
      const time = now();
      const result = await links.updateOne(
        { _id: link._id, deletedIn: { $exists: false } },
        {
          $set: {
            deletedIn: side,
            deletedTime: time,
            modifiedTime: nextModifiedTime(link.modifiedTime, time),
          },
        },
      );
      return result.modifiedCount === 1 ? 'marked' : 'already_marked';
    },

    async findLinksChangedSince(integrationId, { after, limit, entities }) {
      // A page of each entity's collection, merged in (modifiedTime, _id) order: the first `limit` of them
      // are the page of all, and the read is exhausted only when every collection was.
      const org = DocIdSchema.parse(integrationId);
      const pages = await Promise.all(
        z
          .array(LinkEntitySchema)
          .parse(entities ?? LinkEntitySchema.options)
          .map((entity) =>
            findChangedSince(linksOf(entity), { org, scopeField: 'integrationId', after, limit }),
          ),
      );
      const merged = pages
        .flatMap((p) => p.docs)
        .sort(
          (a, b) =>
            (a.modifiedTime as Date).getTime() - (b.modifiedTime as Date).getTime() ||
            (a._id < b._id ? -1 : a._id > b._id ? 1 : 0),
        );
      const docs = merged.slice(0, limit);
      const last = docs[docs.length - 1];
      const position = last ? cursorOf(last) : (after ?? null);
      const more = merged.length > limit || pages.some((p) => p.next !== null);
      return { docs: docs.map(parseLink), next: more ? position : null, position };
    },

    // ----- cursors

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

    // ----- runs

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
        { $set: { counts: input.counts } },
      );
    },

    async getRun(runId) {
      return readRun(RunIdSchema.parse(runId));
    },

    async listRuns(integrationId, options) {
      const { limit, before } = z
        .object({ limit: LimitSchema, before: z.number().int().positive().optional() })
        .parse(options);
      const filter: Document = { integrationId: DocIdSchema.parse(integrationId) };
      if (before !== undefined) filter.runNumber = { $lt: before };
      const docs = await runs.find(filter).sort({ runNumber: -1 }).limit(limit).toArray();
      return withLiveCounts(docs);
    },

    // ----- failures

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
      const outcome = await bulkUpsert(failures, ops);
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

    // ----- audit

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
        const duplicates = [error.writeErrors].flat().filter((e) => e !== undefined).length;
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

    // ----- trigger decisions

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

export type { AuditDoc, FailureDoc, IntegrationDoc, LinkDoc, RunDoc, TriggerDecisionDoc };
