import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { ZodError } from 'zod';
import { ErrorType } from '../domain/errors';
import { contentHash, stableStringify } from '../domain/hash';
import { FieldMapError, resolveFieldMaps, type ResolvedFieldMap } from '../domain/sync/field-maps';
import { MAX_NAME_LENGTH, normalizeName } from '../domain/sync/names';
import { describeRunCounts, emptyRunCounts } from '../domain/sync/counts';
import type { RunFailureLine } from '../domain/sync/labels';
import { planSyncSteps, targetSteps, type StepTarget, type SyncStep } from '../domain/sync/plan';
import { decideContactPersons, decidePersonContacts } from '../domain/sync/contact-persons';
import {
  CONFLICTS_DETAIL,
  countDecisions,
  decidePage,
  mergeRedone,
  newPageResult,
  type DecidePageResult,
  type LinkState,
  type PageRecord,
  type RecordDecision,
} from '../domain/sync/decide';
import {
  KIND_SPECS,
  NAME_FIELD_OF,
  createdRecordId,
  kindSpecOf,
  type BooksContext,
  type KindSpec,
  type SyncKind,
} from '../domain/sync/kinds';
import {
  KeyPartSchema,
  failureIdOf,
  type DeltaCursor,
  type FailureInput,
  type IntegrationConfig,
  type IntegrationDoc,
  type LinkEntity,
  type RunCounts,
  type RunCountsByModule,
  type RunTrigger,
} from '../domain/sync-state-schemas';
import { CRM_EDITIONS } from '../domain/crm-schemas';
import { ViewError, type ViewFilter } from '../domain/views';
import { createViewLoader } from './views';
import { MAX_DELTA_PAGE, compareCursors, settledBoundary, settledCursor } from '../stores/delta';
import { InvalidRecordsError, isServerFault, positionOf } from '../stores/record-collection';
import type { ChangedPage, RecordCollection, StoredRecord } from '../stores/record-store';
import type { SyncStateStore } from '../stores/sync-state-store';

type Data = Record<string, unknown>;

/** The CRM's finance modules (S4.1): copies of Books documents, deleted when the integration is disabled. */
export const CRM_FINANCE_MODULES = ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'] as const;
export type CrmFinanceModule = (typeof CRM_FINANCE_MODULES)[number];

/** What the sync activities need from the stores; built in workers/deps.ts. */
export interface SyncDeps {
  syncState: SyncStateStore;
  crm: {
    records(
      module: 'Accounts' | 'Contacts' | 'Vendors' | 'Products' | CrmFinanceModule,
    ): RecordCollection<Data>;
    getOrg(orgId: string): Promise<Data | undefined>;
    /** Saves the org document (S1.3 shows the connected Books orgs on it). */
    saveOrg(doc: Data): Promise<unknown>;
    getView(orgId: string, viewId: string): Promise<Data | undefined>;
    getUser(orgId: string, userId: string): Promise<Data | undefined>;
    findContactsByAccountIds(orgId: string, accountIds: readonly string[]): Promise<StoredRecord<Data>[]>;
  };
  books: {
    records(module: 'contacts' | 'items'): RecordCollection<Data>;
    getOrganization(orgId: string): Promise<Data | undefined>;
    listCurrencyCodes(orgId: string): Promise<string[]>;
    listCustomFields(orgId: string, module: 'contacts' | 'items'): Promise<{ api_name: string }[]>;
  };
  /** A step's default sizes on this server (STEP_SIZE unless the server wants others: FERRETDB_STEP_SIZE). */
  stepSize?: StepSize;
}

export interface PrepareSyncRunInput {
  integrationId: string;
  runId: string;
  runNumber: number;
  trigger: RunTrigger;
  /** A targeted run: only these records (fetch one record S3.3, import S3.4, reprocess S9.6). */
  targets?: StepTarget[];
}

export type PrepareSyncRunResult =
  { ok: true; steps: SyncStep[] } | { ok: false; reason: string; errorType: string };

/**
 * What a step carries from its first activity to its last, retries included (see stores/delta.ts): the
 * settled boundary its saved cursor never passes, where its reading began, and how far the previous run had
 * read (records met again up to there were counted by that run).
 */
export interface StepWindow {
  /** ISO. */
  settledBefore: string;
  from: DeltaCursor | null;
  seenThrough: DeltaCursor | null;
}

export interface SyncStepInput {
  integrationId: string;
  runId: string;
  step: SyncStep;
  /** Where this activity starts; undefined at the start of a step (then the saved cursor is used). */
  cursor?: DeltaCursor | null;
  /** The step's window, from the previous activity's result; undefined at the start of a step. */
  window?: StepWindow;
  /** Records to handle before returning; the workflow calls again with `next`. */
  maxRecords?: number;
  /** Records per read/decide/write round inside the activity; the heartbeat carries the cursor between. */
  chunkSize?: number;
}

export interface SyncStepResult {
  /** Null when the step has read everything changed. */
  next: DeltaCursor | null;
  counts: RunCounts;
  records: number;
  /** Handed to the step's next activity with `next` (absent from results of workers before it existed). */
  window?: StepWindow;
}

export interface FinishSyncRunInput {
  runId: string;
  status: 'completed' | 'failed';
  reason?: string;
}

export interface FinishSyncRunResult {
  status: string;
  /** By module, then direction. */
  counts: RunCountsByModule;
  failureCount: number;
  /** The run's first failures (at most RESULT_FAILURES), for the result and details the Temporal UI shows. */
  failures?: RunFailureLine[];
}

/** How many of a run's failures its result names. */
export const RESULT_FAILURES = 20;

export interface StepSize {
  /** Records one syncStep activity handles before it returns and the workflow calls the next. */
  maxRecords: number;
  /** Records per read/decide/write round inside the activity (its reads are one query each). */
  chunkSize: number;
  /** The most records, links or failures one store write takes: a chunk writes in slices of this size. */
  writeSlice: number;
}

/** On a server with the declared indexes every read of a chunk costs in proportion to the chunk. */
export const STEP_SIZE: StepSize = { maxRecords: 5000, chunkSize: 5000, writeSlice: 5000 };

/**
 * On FerretDB v1 every read but one by `_id` scans its collection, so a chunk costs in proportion to the
 * collections it reads, not to itself, and a step costs (its records / chunk size) × (collection sizes): a step
 * is read in as few chunks as memory allows. Bench, N=100,000: see the README's Benchmarks section.
 */
export const FERRETDB_STEP_SIZE: StepSize = { maxRecords: 50_000, chunkSize: 50_000, writeSlice: 5000 };

/** How often a sync step heartbeats while it works (its heartbeat timeout is a minute). */
const HEARTBEAT_PULSE_MS = 10_000;

/**
 * How many times a chunk may be split to isolate records that cannot be synced (about 1 + log2(chunk) splits
 * per such record): beyond it, the failure is the step's, not a few records'.
 */
const MAX_POISON_SPLITS = 100;

/** How often a record whose target changed between the read and the write is decided again. */
const MAX_DECIDE_ROUNDS = 4;

/** What every chunk of a step shares. */
interface ChunkContext {
  spec: KindSpec;
  step: SyncStep;
  integration: IntegrationDoc;
  integrationId: string;
  runId: string;
  /** ISO start of the run. */
  runStartedAt: string;
  maps: ResolvedFieldMap[];
  config: IntegrationConfig;
  books: BooksContext;
  view: ViewFilter | undefined;
  target: RecordCollection<Data>;
  targetOrg: string;
  writeSlice: number;
}

/** A record that cannot be synced at all, and why: a failure of that record, never of the run. */
interface PoisonedRecord {
  record: { id: string; data: Data };
  field: string;
  reason: string;
}

export function createSyncActivities(deps: SyncDeps) {
  const state = deps.syncState;
  const views = createViewLoader(deps.crm);

  async function loadIntegration(integrationId: string) {
    const integration = await state.getIntegration(integrationId);
    if (!integration)
      throw ApplicationFailure.nonRetryable(`no integration ${integrationId}`, ErrorType.ConfigInvalid);
    return integration;
  }

  /** The run's configuration snapshot and when it started. */
  async function runConfig(runId: string): Promise<{ config: IntegrationConfig; startedAt: string }> {
    const run = await state.getRun(runId);
    if (!run?.config)
      throw ApplicationFailure.nonRetryable(
        `run ${runId} has no configuration snapshot`,
        ErrorType.ConfigInvalid,
      );
    return { config: run.config, startedAt: run.startedTime.toISOString() };
  }

  async function booksContext(booksOrgId: string): Promise<BooksContext> {
    const org = await deps.books.getOrganization(booksOrgId);
    const base = typeof org?.currency_code === 'string' ? org.currency_code : '';
    const codes = await deps.books.listCurrencyCodes(booksOrgId);
    return { baseCurrency: base, currencies: [...new Set([base, ...codes].filter(Boolean))] };
  }

  return {
    /**
     * Starts a run's history entry with a snapshot of the configuration and checks the prerequisites (S1.2):
     * CRM edition Professional or above; with multi-currency on, equal base currencies; valid field maps.
     * Idempotent on the run id. A refusal is returned, not thrown: the workflow records it as a failed run.
     */
    async prepareSyncRun(input: PrepareSyncRunInput): Promise<PrepareSyncRunResult> {
      const integration = await loadIntegration(input.integrationId);
      await state.startRun({
        runId: input.runId,
        integrationId: input.integrationId,
        runNumber: input.runNumber,
        trigger: input.trigger,
        config: integration.config,
        configVersion: integration.version,
      });
      const refuse = (reason: string, errorType: string): PrepareSyncRunResult => ({
        ok: false,
        reason,
        errorType,
      });
      if (integration.status === 'disabled')
        return refuse('the integration is disabled', ErrorType.PrerequisiteFailed);
      const crmOrg = await deps.crm.getOrg(integration.crmOrgId);
      const booksOrg = await deps.books.getOrganization(integration.booksOrgId);
      if (!crmOrg)
        return refuse(`CRM org ${integration.crmOrgId} is not known`, ErrorType.PrerequisiteFailed);
      if (!booksOrg)
        return refuse(`Books org ${integration.booksOrgId} is not known`, ErrorType.PrerequisiteFailed);
      const edition = String(crmOrg.edition);
      const rank = CRM_EDITIONS.indexOf(edition as (typeof CRM_EDITIONS)[number]);
      if (rank < CRM_EDITIONS.indexOf('PROFESSIONAL'))
        return refuse(
          `the CRM edition is ${edition}; the Books integration needs Professional or above`,
          ErrorType.PrerequisiteFailed,
        );
      if (crmOrg.mc_status === true && crmOrg.iso_code !== booksOrg.currency_code)
        return refuse(
          `multi-currency is on in the CRM and its base currency ${String(crmOrg.iso_code)} differs from the Books ` +
            `base currency ${String(booksOrg.currency_code)}`,
          ErrorType.PrerequisiteFailed,
        );
      let steps = planSyncSteps(integration.config);
      if (input.targets) {
        const targeted = targetSteps(steps, await withContactPersons(integration, input.targets));
        if (targeted.unmatched.length > 0)
          return refuse(
            `the configuration does not sync ${targeted.unmatched.map((t) => `${t.kind} ${t.direction.replace(/_/g, ' ')}`).join(', ')}`,
            ErrorType.ConfigInvalid,
          );
        steps = targeted.steps;
      }
      try {
        for (const step of steps) {
          await resolveMaps(integration.booksOrgId, integration.config, step.kind);
          if (step.direction === 'crm_to_books') await viewFor(integration, integration.config, step.kind);
        }
      } catch (err) {
        if (err instanceof FieldMapError || err instanceof ViewError)
          return refuse(err.message, ErrorType.ConfigInvalid);
        if (err instanceof ApplicationFailure)
          return refuse(err.message, err.type ?? ErrorType.ConfigInvalid);
        throw err;
      }
      return { ok: true, steps };
    },

    /**
     * Moves up to `maxRecords` changed records of one step (kind and direction), in chunks: each chunk is read
     * through the delta index, its links and duplicate candidates loaded with one query each, decided by the
     * pure decidePage, and written with one bulk write per collection; then the step's cursor is saved and
     * heartbeated, so a retry resumes after the last finished chunk. Idempotent: created records have ids
     * derived from their source, and a chunk's counts are recorded once.
     */
    async syncStep(input: SyncStepInput): Promise<SyncStepResult> {
      try {
        return await runStep(input);
      } catch (err) {
        // Bad configuration or data that no retry can fix fails the step at once, with its reason.
        if (err instanceof ZodError || err instanceof ViewError || err instanceof FieldMapError)
          throw ApplicationFailure.nonRetryable(err.message, ErrorType.ValidationFailed);
        throw err;
      }
    },

    /** Ends the run's history entry with its totals. Idempotent. */
    async finishSyncRun(input: FinishSyncRunInput): Promise<FinishSyncRunResult> {
      const run = await state.finishRun(input.runId, {
        status: input.status,
        ...(input.reason !== undefined && { reason: input.reason }),
      });
      // S9.8: the run's outcome per module in the audit log; the id makes a retried finish append it once.
      const perModule = describeRunCounts(run.counts);
      await state.appendAudit([
        {
          _id: `${input.runId}#finished`,
          at: run.endedTime ?? new Date(),
          actor: { type: 'workflow', id: input.runId },
          integrationId: run.integrationId,
          action: `sync_run.${run.status}`,
          entity: 'sync_run',
          payloadIds: [input.runId],
          outcome: run.status === 'failed' ? 'failure' : 'success',
          detail: [`${run.trigger} run`, ...(run.reason ? [run.reason] : []), ...perModule]
            .join('; ')
            .slice(0, 4000),
        },
      ]);
      const failures =
        run.failureCount > 0
          ? (await state.listFailures(run.integrationId, { runId: input.runId, limit: RESULT_FAILURES })).map(
              (f): RunFailureLine => ({
                module: f.module,
                direction: f.direction,
                recordId: f.recordId,
                field: f.field,
                reason: f.reason,
              }),
            )
          : [];
      return { status: run.status, counts: run.counts, failureCount: run.failureCount, failures };
    },
  };

  /** The body of syncStep (see there). */
  async function runStep(input: SyncStepInput): Promise<SyncStepResult> {
    const ctx = Context.current();
    const integration = await loadIntegration(input.integrationId);
    const { config, startedAt: runStartedAt } = await runConfig(input.runId);
    const { step } = input;
    const spec = kindSpecOf(step.kind);
    const maps = await resolveMaps(integration.booksOrgId, config, step.kind);
    const books = await booksContext(integration.booksOrgId);
    const view =
      step.direction === 'crm_to_books' ? await viewFor(integration, config, step.kind) : undefined;
    const toBooks = step.direction === 'crm_to_books';
    const source = toBooks ? deps.crm.records(spec.crmModule) : deps.books.records(spec.booksModule);
    const target = toBooks ? deps.books.records(spec.booksModule) : deps.crm.records(spec.crmModule);
    const sourceOrg = toBooks ? integration.crmOrgId : integration.booksOrgId;
    const targetOrg = toBooks ? integration.booksOrgId : integration.crmOrgId;
    const cursorModule = `${step.kind}`;

    const start = await startingPoint(input, cursorModule);
    const window = start.window;
    let cursor = start.cursor;
    const size = deps.stepSize ?? STEP_SIZE;
    const maxRecords = input.maxRecords ?? size.maxRecords;
    const chunkSize = Math.min(input.chunkSize ?? size.chunkSize, maxRecords, MAX_DELTA_PAGE);
    const counts = emptyRunCounts();
    let records = 0;
    const chunk = {
      spec,
      step,
      integration,
      integrationId: input.integrationId,
      runId: input.runId,
      runStartedAt,
      maps,
      config,
      books,
      view,
      target,
      targetOrg,
      writeSlice: size.writeSlice,
    };

    // Beat while working, not only between chunks: a chunk of thousands can take minutes on FerretDB (its reads
    // scan whole collections), and the heartbeat timeout is there to notice a dead worker, not a big chunk. The
    // details are always the last finished chunk's cursor (and the step's window), so a retry resumes after it.
    const pulse = setInterval(() => ctx.heartbeat({ cursor, window }), HEARTBEAT_PULSE_MS);
    try {
      return await chunks();
    } finally {
      clearInterval(pulse);
    }

    async function chunks(): Promise<SyncStepResult> {
      while (records < maxRecords) {
        // A worker shutting down cancels us between chunks; the retry resumes from the heartbeated cursor.
        if (ctx.cancellationSignal.aborted) throw new CancelledFailure('the worker is shutting down');
        const page = step.ids
          ? await targetedPage(source, sourceOrg, step.ids, cursor, chunkSize)
          : await source.findChangedSince(
              sourceOrg,
              cursor,
              chunkSize,
              // The orphans' step reads only contacts without an account: on FerretDB the others are then
              // not sent (the read scans the collection either way), and they are not this step's.
              step.orphansOnly && step.direction === 'crm_to_books' ? { withoutField: ACCOUNT_FIELD } : {},
            );
        if (page.records.length > 0 || (page.unreadable?.length ?? 0) > 0) {
          const pageKey =
            `${step.kind}.${step.direction}.${cursor ? `${cursor.modifiedTime}.${cursor.id}` : 'start'}`.replace(
              /[^A-Za-z0-9._:/|#-]/g,
              '_',
            );
          // Records the previous run read already (it saved its cursor before them because they were too recent
          // to be settled) were counted then: met again unchanged or skipped, they are not counted twice.
          // A record that fails again there, with the failure it has open, is not recorded or counted again.
          const seen = window.seenThrough;
          const positions = new Map(page.records.map((r) => [r.id, positionOf(r)]));
          const readBefore = (recordId: string) => {
            const at = positions.get(recordId);
            return seen !== null && at !== undefined && compareCursors(at, seen) <= 0;
          };
          const repeatedFailures = new Set<string>();
          const dropRepeatedFailures = async (decided: DecidePageResult) => {
            const again = decided.failures.filter((f) => readBefore(f.recordId));
            if (again.length === 0) return;
            const open = await state.getFailures(
              again.map((f) => failureIdOf(input.integrationId, spec.module, step.direction, f.recordId)),
            );
            const reasons = new Map(
              open.filter((f) => f.status === 'open').map((f) => [f.recordId, f.reason]),
            );
            const repeats = again.filter((f) => reasons.get(f.recordId) === f.reason).map((f) => f.recordId);
            for (const id of repeats) repeatedFailures.add(id);
            decided.failures = decided.failures.filter((f) => !repeats.includes(f.recordId));
          };
          const countOf = (decisions: readonly RecordDecision[]) =>
            countDecisions(
              decisions.filter((d) => {
                if (!readBefore(d.recordId)) return true;
                if (d.outcome === 'failed') return !repeatedFailures.has(d.recordId);
                return d.outcome !== 'unchanged' && d.outcome !== 'skipped';
              }),
            );
          // The counts are recorded as decided, before anything is written, once per page (the first attempt
          // wins): a retry after a crash mid-write finds its own earlier writes done and would count them as
          // unchanged. The attempt that recorded them corrects them if the writes turned out otherwise.
          let intent: { counted: boolean; counts: RunCounts } | undefined;
          const recordIntent = async (decisions: readonly RecordDecision[]) => {
            const decided = countOf(decisions);
            const { counted } = await state.addRunCounts({
              runId: input.runId,
              pageKey,
              module: spec.module,
              direction: step.direction,
              counts: decided,
            });
            intent = { counted, counts: decided };
          };
          let whole = true;
          const isolated = await isolatingPoison(page.records, (part) => {
            const onDecided = whole ? recordIntent : undefined;
            whole = false;
            return decideAndApply(chunk, part, onDecided, dropRepeatedFailures);
          });
          const unreadable = (page.unreadable ?? []).map((u): PoisonedRecord => ({
            record: { id: u.id, data: u.data },
            field: u.field,
            reason: u.reason,
          }));
          const decisions = [
            ...isolated.decisions,
            ...(await recordPoisoned(chunk, [...isolated.poisoned, ...unreadable])),
          ];
          await auditConflicts(chunk, decisions);
          const final = countOf(decisions);
          const recorded = intent as { counted: boolean; counts: RunCounts } | undefined;
          if (!recorded) await recordIntent(decisions);
          else if (recorded.counted && stableStringify(recorded.counts) !== stableStringify(final))
            await state.correctRunCounts({
              runId: input.runId,
              pageKey,
              module: spec.module,
              direction: step.direction,
              counts: final,
            });
          for (const k of Object.keys(counts) as (keyof RunCounts)[]) counts[k] += final[k];
          records += page.records.length + (page.unreadable?.length ?? 0);
        }
        if (page.position && !step.ids) {
          // Never saved past the settled boundary: what is newer is read again by the next run (delta.ts).
          const settled = settledCursor(page.position, new Date(window.settledBefore), window.from);
          const seenThrough =
            window.seenThrough && compareCursors(window.seenThrough, page.position) > 0
              ? window.seenThrough
              : page.position;
          if (settled)
            await state.saveCursor(
              input.integrationId,
              cursorModule,
              step.direction,
              settled,
              compareCursors(seenThrough, settled) > 0 ? seenThrough : undefined,
            );
        }
        cursor = page.position;
        ctx.heartbeat({ cursor, window });
        if (!page.next) return { next: null, counts, records, window };
      }
      return { next: cursor, counts, records, window };
    }
  }

  /**
   * Where a step's activity starts reading, and the step's window: a retry resumes from its heartbeat, a
   * later activity of the step from the workflow's cursor, both with the window the step began with; the
   * step's first activity starts from the saved cursor with a new window (settled boundary taken now).
   */
  async function startingPoint(
    input: SyncStepInput,
    cursorModule: string,
  ): Promise<{ cursor: DeltaCursor | null; window: StepWindow }> {
    const fresh = (from: DeltaCursor | null, seenThrough: DeltaCursor | null): StepWindow => ({
      settledBefore: settledBoundary(new Date()).toISOString(),
      seenThrough,
      from,
    });
    const heartbeat = Context.current().info.heartbeatDetails as
      { cursor: DeltaCursor | null; window?: StepWindow } | undefined;
    if (heartbeat)
      return { cursor: heartbeat.cursor, window: heartbeat.window ?? input.window ?? fresh(null, null) };
    if (input.cursor !== undefined)
      return { cursor: input.cursor, window: input.window ?? fresh(null, null) };
    // A targeted step pages through its ids, never the module's delta cursor.
    if (input.step.ids) return { cursor: null, window: fresh(null, null) };
    const saved = await state.getCursorState(input.integrationId, cursorModule, input.step.direction);
    const from = saved?.cursor ?? null;
    return { cursor: from, window: fresh(from, saved?.seenThrough ?? null) };
  }

  /**
   * Decides a chunk's records and writes the outcome. A target that changed between the read and its write
   * (the write is conditional on the version read) is decided again on what it holds now, a few times; one
   * that keeps changing fails its record, for reprocessing. Returns every record's decision.
   */
  async function decideAndApply(
    c: ChunkContext,
    page: StoredRecord<Data>[],
    onDecided?: (decisions: readonly RecordDecision[]) => Promise<void>,
    review?: (decided: DecidePageResult) => Promise<void>,
  ): Promise<RecordDecision[]> {
    let decided = await decideChunk({ ...c, page });
    await review?.(decided);
    let decisions = decided.decisions;
    await onDecided?.(decisions);
    let stale = await applyChunk(decided, { ...c, sources: new Map(page.map((r) => [r.id, r.data])) });
    for (let round = 2; stale.size > 0; round++) {
      const redo = staleSources(decided, stale, c.step);
      if (round > MAX_DECIDE_ROUNDS) {
        const side = c.step.direction === 'crm_to_books' ? 'Books' : 'CRM';
        const poisoned = page
          .filter((r) => redo.has(r.id))
          .map((r): PoisonedRecord => ({
            record: r,
            field: '(record)',
            reason: `its ${side} record kept changing while it was written (${MAX_DECIDE_ROUNDS} tries); reprocess it`,
          }));
        return [...decisions.filter((d) => !redo.has(d.recordId)), ...(await recordPoisoned(c, poisoned))];
      }
      const again = page.filter((r) => redo.has(r.id));
      decided = await decideChunk({ ...c, page: again });
      await review?.(decided);
      stale = await applyChunk(decided, { ...c, sources: new Map(again.map((r) => [r.id, r.data])) });
      decisions = mergeRedone(decisions, redo, decided.decisions);
    }
    return decisions;
  }

  /**
   * Puts every field changed on both sides since the last sync (S9.5) in the audit log, with the rule that
   * decided it: once per run, record and direction.
   */
  async function auditConflicts(c: ChunkContext, decisions: readonly RecordDecision[]): Promise<void> {
    const conflicts = decisions.filter((d) => d.detail?.startsWith(CONFLICTS_DETAIL));
    if (conflicts.length === 0) return;
    const at = new Date();
    const direction = c.step.direction.replace(/_/g, ' ');
    await state.appendAudit(
      conflicts.map((d) => ({
        _id: `${c.runId}#conflict#${c.step.kind}#${c.step.direction}#${d.recordId}`,
        at,
        actor: { type: 'workflow' as const, id: c.runId },
        integrationId: c.integrationId,
        action: 'sync_run.conflict',
        entity: c.spec.entity,
        payloadIds: [d.recordId, ...(d.targetId ? [d.targetId] : [])],
        outcome: 'success' as const,
        detail: `${c.spec.module} ${direction}, record ${d.recordId}${d.targetId ? ` → ${d.targetId}` : ''}: ${d.detail}`,
      })),
    );
  }

  /** Records poisoned records as failures of the step (their payload kept for reprocessing). */
  async function recordPoisoned(
    c: ChunkContext,
    poisoned: readonly PoisonedRecord[],
  ): Promise<RecordDecision[]> {
    if (poisoned.length === 0) return [];
    const { result, decide } = newPageResult();
    for (const p of poisoned) {
      // The failure must be storable whatever the record holds: an id the failures cannot key on is replaced
      // by one derived from it (the payload keeps the real one), field and reason are cut to their limits.
      const storable = KeyPartSchema.safeParse(p.record.id).success;
      const recordId = storable ? p.record.id : `unstorable-id-${contentHash(p.record.id)}`;
      const field = p.field.slice(0, 300);
      const reason = p.reason.slice(0, 2000);
      const payload = storable ? p.record.data : { ...p.record.data, id: p.record.id };
      result.failures.push({ recordId, field, reason, payload });
      decide({ recordId, outcome: 'failed', detail: `${field}: ${reason}` });
    }
    await applyChunk(result, { ...c, sources: new Map() });
    return result.decisions;
  }

  /**
   * Under "Accounts and their Contacts", fetching an account fetches its contacts as contact persons too:
   * the contact-person step gets the ids of the targeted accounts' contacts.
   */
  async function withContactPersons(
    integration: IntegrationDoc,
    targets: StepTarget[],
  ): Promise<StepTarget[]> {
    if (integration.config.customers.module !== 'accounts_and_contacts') return targets;
    const accountIds = targets
      .filter((t) => t.kind === 'account' && t.direction === 'crm_to_books')
      .flatMap((t) => t.ids);
    if (accountIds.length === 0) return targets;
    const contacts = await deps.crm.findContactsByAccountIds(integration.crmOrgId, accountIds);
    if (contacts.length === 0) return targets;
    return [
      ...targets,
      { kind: 'contact_person', direction: 'crm_to_books', ids: contacts.map((c) => c.id) },
    ];
  }

  async function resolveMaps(
    booksOrgId: string,
    config: IntegrationConfig,
    kind: SyncKind,
  ): Promise<ResolvedFieldMap[]> {
    const moduleConfig =
      kind === 'vendor' ? config.vendors : kind === 'item' ? config.items : config.customers;
    const booksModule = kind === 'item' ? 'items' : 'contacts';
    const custom = await deps.books.listCustomFields(booksOrgId, booksModule);
    // The customers module's maps are written for its main kind; contact persons keep their defaults.
    const userMaps = kind === 'contact_person' ? [] : moduleConfig.fieldMaps;
    return resolveFieldMaps(kind, userMaps, custom);
  }

  function viewFor(
    integration: { crmOrgId: string },
    config: IntegrationConfig,
    kind: SyncKind,
  ): Promise<ViewFilter | undefined> {
    return views.viewFor(integration.crmOrgId, config, kind, new Date().toISOString());
  }

  async function decideChunk(c: ChunkContext & { page: StoredRecord<Data>[] }): Promise<DecidePageResult> {
    const toBooks = c.step.direction === 'crm_to_books';
    if (c.step.kind === 'contact_person')
      return toBooks ? decidePersonsChunk(c) : decidePersonContactsChunk(c);
    // A name longer than the stores keep cannot be looked up for duplicates: that record fails, alone.
    const nameOf = (r: StoredRecord<Data>) =>
      normalizeName(toBooks ? c.spec.crmName(r.data) : c.spec.booksName(r.data));
    const tooLong = c.page.filter((r) => nameOf(r).length > MAX_NAME_LENGTH);
    if (tooLong.length > 0) {
      const rest = await decideChunk({ ...c, page: c.page.filter((r) => !tooLong.includes(r)) });
      const { result, decide } = newPageResult();
      for (const r of tooLong) {
        const field = toBooks ? NAME_FIELD_OF[c.spec.crmModule] : NAME_FIELD_OF[c.spec.booksModule];
        const reason = `the name is ${nameOf(r).length} characters long; at most ${MAX_NAME_LENGTH} can be synced`;
        result.failures.push({ recordId: r.id, field, reason, payload: r.data });
        decide({ recordId: r.id, outcome: 'failed', detail: `${field}: ${reason}` });
      }
      rest.failures.push(...result.failures);
      rest.decisions.push(...result.decisions);
      rest.counts.failed += tooLong.length;
      return rest;
    }
    const entity = c.spec.entity as LinkEntity;
    const ids = c.page.map((r) => r.id);
    const links = toBooks
      ? await state.findLinksByCrmIds(c.integrationId, entity, ids, c.spec.crmModule)
      : await state.findLinksByBooksIds(c.integrationId, entity, ids);
    const linkedTargetIds = new Set(links.map((l) => (toBooks ? l.booksId : l.crmId)));
    const names = [
      ...new Set(
        c.page.map((r) => normalizeName(toBooks ? c.spec.crmName(r.data) : c.spec.booksName(r.data))),
      ),
    ].filter(Boolean);
    // Our own earlier creations (a retry after the write but before the link) are found by their derived id,
    // in the same read as the linked targets.
    const ownIds = new Set(
      c.page.map((r) => createdRecordId(c.integrationId, c.spec.entity, toBooks ? 'books' : 'crm', r.id)),
    );
    const { byId, byName: candidates } = await c.target.findByIdsAndNormNames(
      c.targetOrg,
      [...new Set([...linkedTargetIds, ...ownIds])],
      names,
    );
    const linkedTargets = byId.filter((r) => linkedTargetIds.has(r.id));
    const own = byId.filter((r) => ownIds.has(r.id));
    const candidateIds = [...new Set([...candidates, ...own].map((r) => r.id))];
    const candidateLinks = candidateIds.length
      ? toBooks
        ? await state.findLinksByBooksIds(c.integrationId, entity, candidateIds)
        : await state.findLinksByCrmIds(c.integrationId, entity, candidateIds)
      : [];
    const policy = moduleConfigOf(c.config, c.spec.kind).duplicatePolicy;
    const decided = decidePage({
      spec: c.spec,
      direction: c.step.direction,
      integrationId: c.integrationId,
      maps: c.maps,
      duplicatePolicy: policy,
      // Overwrite acts in the module's first direction (S2.3): CRM → Books for customers and vendors; for
      // items, Books → CRM when syncing both ways.
      overwriteHere:
        c.spec.kind === 'item' && moduleConfigOf(c.config, 'item').extent === 'both_ways'
          ? c.step.direction === 'books_to_crm'
          : c.step.direction === 'crm_to_books',
      books: c.books,
      records: c.page.map(toPageRecord),
      inView: (data) => (c.view ? c.view.matches(data) : true),
      links: links.map(toLinkState),
      linkedTargets: linkedTargets.map(toPageRecord),
      candidates: [...candidates, ...own].map(toPageRecord),
      linkedCandidateIds: new Set(candidateLinks.map((l) => (toBooks ? l.booksId : l.crmId))),
      ...(c.step.orphansOnly && toBooks
        ? { belongsToStep: (data: Data) => data[ACCOUNT_FIELD] == null }
        : {}),
    });
    if (c.spec.kind === 'account' && toBooks && c.config.customers.module === 'accounts_and_contacts')
      await embedContactPersons(decided, c);
    return decided;
  }

  /**
   * New Business customers take their account's contacts as contact persons in the same insert. The
   * contact-person step then finds them in place (unchanged) instead of rewriting every new customer — on
   * FerretDB an update costs tens of milliseconds, an insert a fraction of one.
   */
  async function embedContactPersons(
    decided: DecidePageResult,
    c: { integration: IntegrationDoc; integrationId: string; config: IntegrationConfig },
  ): Promise<void> {
    const created = decided.decisions.flatMap((d) =>
      d.outcome === 'added' && d.targetId ? [{ crmId: d.recordId, booksId: d.targetId }] : [],
    );
    if (created.length === 0) return;
    const { integration } = c;
    const contacts = await deps.crm.findContactsByAccountIds(
      integration.crmOrgId,
      created.map((a) => a.crmId),
    );
    if (contacts.length === 0) return;
    const view = await viewFor(integration, c.config, 'contact_person');
    const writes = new Map(decided.writes.map((w) => [w.id, w]));
    const persons = decideContactPersons({
      integrationId: c.integrationId,
      maps: await resolveMaps(integration.booksOrgId, c.config, 'contact_person'),
      records: contacts.map(toPageRecord),
      inView: (data) => (view ? view.matches(data) : true),
      includeOrphans: true,
      accountLinks: created,
      personLinks: [],
      customers: created.flatMap((a) => {
        const w = writes.get(a.booksId);
        return w ? [{ id: w.id, data: w.data, modifiedTime: new Date(0).toISOString(), deleted: false }] : [];
      }),
    });
    for (const w of persons.writes) {
      const write = writes.get(w.id);
      if (write) write.data = w.data;
    }
    decided.extraLinks = { entity: 'contact_person', crmModule: 'Contacts', links: persons.links };
    // The persons are counted by their own step, which finds them in place and linked in this run: added.
  }

  async function decidePersonsChunk(c: {
    integrationId: string;
    runStartedAt: string;
    maps: ResolvedFieldMap[];
    config: IntegrationConfig;
    view: ViewFilter | undefined;
    page: StoredRecord<Data>[];
    target: RecordCollection<Data>;
    targetOrg: string;
  }): Promise<DecidePageResult> {
    const accountIds = [
      ...new Set(
        c.page.flatMap((r) => {
          const a = r.data.Account_Name as { id?: unknown } | null | undefined;
          return a && typeof a.id === 'string' ? [a.id] : [];
        }),
      ),
    ];
    // One read for both (a scan of the links on FerretDB).
    const found = await state.findLinksByCrmIdsOf(c.integrationId, [
      { entity: 'customer', crmIds: accountIds },
      { entity: 'contact_person', crmIds: c.page.map((r) => r.id) },
    ]);
    const accountLinks = found.filter((l) => l.entity === 'customer');
    const personLinks = found.filter((l) => l.entity === 'contact_person');
    // The customers the contacts' accounts are linked to, and those their persons were last written to (a
    // contact that moved takes its person out of the old one).
    const customerIds = [
      ...new Set([
        ...accountLinks.map((l) => l.booksId),
        ...personLinks.flatMap((l) => (l.parentBooksId === undefined ? [] : [l.parentBooksId])),
      ]),
    ];
    const customers = customerIds.length ? await c.target.findByIds(c.targetOrg, customerIds) : [];
    return decideContactPersons({
      integrationId: c.integrationId,
      maps: c.maps,
      records: c.page.map(toPageRecord),
      inView: (data) => (c.view ? c.view.matches(data) : true),
      includeOrphans: c.config.customers.includeOrphanContacts,
      accountLinks,
      personLinks: personLinks.map(toLinkState),
      customers: customers.map(toPageRecord),
      runStartedAt: c.runStartedAt,
    });
  }

  /** Books → CRM contact persons: the page's customers' account links, their persons' links and contacts. */
  async function decidePersonContactsChunk(c: {
    integrationId: string;
    maps: ResolvedFieldMap[];
    page: StoredRecord<Data>[];
    target: RecordCollection<Data>;
    targetOrg: string;
  }): Promise<DecidePageResult> {
    const business = c.page.filter((r) => !r.deleted && KIND_SPECS.account.booksInScope(r.data));
    const personIds = [
      ...new Set(
        business.flatMap((r) =>
          Array.isArray(r.data.contact_persons)
            ? (r.data.contact_persons as Data[]).flatMap((p) =>
                typeof p.contact_person_id === 'string' ? [p.contact_person_id] : [],
              )
            : [],
        ),
      ),
    ];
    const [accountLinks, personLinks] = await Promise.all([
      business.length
        ? state.findLinksByBooksIds(
            c.integrationId,
            'customer',
            business.map((r) => r.id),
          )
        : Promise.resolve([]),
      // A page's customers may hold more persons than one read lists.
      readInParts(personIds, (part) => state.findLinksByBooksIds(c.integrationId, 'contact_person', part)),
    ]);
    const contacts = await readInParts(
      personLinks.map((l) => l.crmId),
      (part) => c.target.findByIds(c.targetOrg, part),
    );
    return decidePersonContacts({
      integrationId: c.integrationId,
      maps: c.maps,
      records: c.page.map(toPageRecord),
      // A customer linked to a CRM contact is an Individual's; only accounts hold contact persons.
      accountLinks: accountLinks.filter((l) => l.crmModule === 'Accounts' && l.deletedIn === undefined),
      personLinks: personLinks.map(toLinkState),
      contacts: contacts.map(toPageRecord),
    });
  }

  /**
   * Writes a chunk's decisions: targets first, then links, deleted links and failures. Returns the ids of
   * targets that changed since they were read (nothing written to them, nor their links): their records are
   * to be decided again.
   */
  async function applyChunk(
    decided: DecidePageResult,
    c: ChunkContext & { sources: ReadonlyMap<string, Data> },
  ): Promise<Set<string>> {
    const slices = <T>(list: readonly T[]) => slicesOf(list, c.writeSlice);
    const toBooks = c.step.direction === 'crm_to_books';
    const entity: LinkEntity =
      c.step.kind === 'contact_person' ? 'contact_person' : (c.spec.entity as LinkEntity);
    let stale = new Set<string>();
    // Targets first, then links: a retry after a crash in between finds its own creation by id.
    if (decided.writes.length) {
      const written = await writeTargets(c.target, c.targetOrg, decided.writes, c.writeSlice);
      if (written.refused.size) rejectWrites(decided, written.refused, toBooks ? 'Books' : 'CRM', c.sources);
      stale = written.stale;
      // A contact person's link names the person, not the customer written: none of the chunk's links are
      // kept then, and its records are all decided again (staleSources).
      const personsInCustomers = c.step.kind === 'contact_person' && toBooks;
      if (stale.size > 0)
        decided.links = personsInCustomers
          ? []
          : decided.links.filter((l) => !stale.has(toBooks ? l.booksId : l.crmId));
    }
    for (const slice of slices(decided.links))
      await state.upsertLinks(
        slice.map((l) => ({
          integrationId: c.integrationId,
          entity,
          crmModule: c.spec.crmModule,
          crmId: l.crmId,
          booksId: l.booksId,
          lastSynced: l.lastSynced,
          contentHash: l.contentHash,
          ...(l.parentBooksId === undefined ? {} : { parentBooksId: l.parentBooksId }),
        })),
      );
    if (decided.extraLinks) {
      const { entity: extraEntity, crmModule, links } = decided.extraLinks;
      for (const slice of slices(links))
        await state.upsertLinks(
          slice.map((l) => ({ integrationId: c.integrationId, entity: extraEntity, crmModule, ...l })),
        );
    }
    for (const id of decided.deletedLinks)
      await state.markLinkDeleted(c.integrationId, entity, toBooks ? 'crm' : 'books', id);
    for (const slice of slices(decided.failures))
      await state.recordFailures(
        slice.map((f) => ({
          integrationId: c.integrationId,
          runId: c.runId,
          module: c.spec.module,
          // The step's kind: a contact person's failure is reprocessed by the contact-person step.
          kind: c.step.kind,
          direction: c.step.direction,
          recordId: f.recordId,
          payloadId: f.recordId,
          field: f.field,
          reason: f.reason,
          payload: stripDollarKeys(f.payload),
        })),
      );
    return stale;
  }
}

/**
 * The source records to decide again after their targets went stale: those whose decision wrote one, and
 * for contact persons written into customers (whose links name the person), every record that wrote.
 */
function staleSources(decided: DecidePageResult, stale: ReadonlySet<string>, step: SyncStep): Set<string> {
  const all = step.kind === 'contact_person' && step.direction === 'crm_to_books';
  return new Set(
    decided.decisions
      .filter((d) =>
        all
          ? d.outcome === 'added' || d.outcome === 'updated'
          : d.targetId !== undefined && stale.has(d.targetId),
      )
      .map((d) => d.recordId),
  );
}

/**
 * Runs `work` over the records; when it throws for a reason in the data (anything but a server or driver
 * error, or a cancellation), runs it on each half instead, down to single records, which then fail alone
 * with the error's reason. Returns the decisions of the records that went through and the poisoned ones.
 */
async function isolatingPoison(
  records: StoredRecord<Data>[],
  work: (part: StoredRecord<Data>[]) => Promise<RecordDecision[]>,
  budget = { splits: MAX_POISON_SPLITS },
): Promise<{ decisions: RecordDecision[]; poisoned: PoisonedRecord[] }> {
  try {
    return { decisions: await work(records), poisoned: [] };
  } catch (err) {
    if (isServerFault(err) || err instanceof CancelledFailure || records.length === 0) throw err;
    if (records.length === 1) {
      const { field, reason } = describeError(err);
      return { decisions: [], poisoned: [{ record: records[0]!, field, reason }] };
    }
    // Many failing parts are no poisoned records but a fault of the step: it fails as it did before.
    if (budget.splits-- <= 0) throw err;
    const half = Math.ceil(records.length / 2);
    const first = await isolatingPoison(records.slice(0, half), work, budget);
    const second = await isolatingPoison(records.slice(half), work, budget);
    return {
      decisions: [...first.decisions, ...second.decisions],
      poisoned: [...first.poisoned, ...second.poisoned],
    };
  }
}

/** The field and reason of an error met on one record. */
function describeError(err: unknown): { field: string; reason: string } {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    return {
      field: issue && issue.path.length > 0 ? issue.path.join('.') : '(record)',
      reason: `could not be synced: ${issue?.message ?? err.message}`,
    };
  }
  if (err instanceof InvalidRecordsError && err.failures[0])
    return { field: err.failures[0].field, reason: `could not be written: ${err.failures[0].reason}` };
  return {
    field: '(record)',
    reason: `could not be synced: ${err instanceof Error ? err.message : String(err)}`,
  };
}

/**
 * A targeted step's records as a page: the ids in chunks, the cursor's `id` holding the offset reached (a
 * targeted run saves no delta cursor, so the cursor only resumes the activity after a retry).
 */
async function targetedPage(
  source: RecordCollection<Data>,
  org: string,
  ids: readonly string[],
  after: DeltaCursor | null,
  limit: number,
): Promise<ChangedPage<Data>> {
  const from = after ? Number(after.id) : 0;
  const slice = ids.slice(from, from + limit);
  const found = await source.findByIds(org, slice);
  const to = from + slice.length;
  const next = to < ids.length ? { modifiedTime: new Date(0).toISOString(), id: String(to) } : null;
  return { records: found, next, position: next };
}

/**
 * Writes the records the target store accepts: new ones whole, changes of existing ones field by field on the
 * version they were decided on. Returns those the store refuses (its schema is the other system's rule of what
 * a record must be) with the field and reason, to become per-record failures, and those that changed since
 * they were read (stale), to be decided again.
 */
async function writeTargets(
  target: RecordCollection<Data>,
  org: string,
  writes: DecidePageResult['writes'],
  sliceSize: number,
): Promise<{ refused: Map<string, { field: string; reason: string }>; stale: Set<string> }> {
  const refused = new Map<string, { field: string; reason: string }>();
  const stale = new Set<string>();
  const creates = writes.filter((w) => w.expectedModifiedTime === undefined || w.base === undefined);
  const changes = writes.flatMap((w) =>
    w.expectedModifiedTime !== undefined && w.base !== undefined
      ? [{ id: w.id, data: w.data, base: w.base, expectedModifiedTime: new Date(w.expectedModifiedTime) }]
      : [],
  );
  const write = async <W extends { id: string }>(list: W[], send: (part: W[]) => Promise<void>) => {
    for (const slice of slicesOf(list, sliceSize)) {
      let pending = slice;
      for (;;) {
        try {
          if (pending.length) await send(pending);
          break;
        } catch (err) {
          if (!(err instanceof InvalidRecordsError)) throw err;
          for (const f of err.failures) {
            const w = pending[f.index];
            if (w) refused.set(w.id, { field: f.field, reason: f.reason });
          }
          const left = pending.filter((w) => !refused.has(w.id));
          // A refusal that names no write of this attempt would repeat forever: it is a fault, not bad input.
          if (left.length === pending.length) throw err;
          pending = left;
        }
      }
    }
  };
  await write(creates, async (part) => {
    await target.upsertMany(org, part);
  });
  await write(changes, async (part) => {
    for (const id of (await target.patchMany(org, part)).stale) stale.add(id);
  });
  return { refused, stale };
}

/** The CRM contact field naming its account: a contact without one is an orphan. */
const ACCOUNT_FIELD = 'Account_Name';

/** The most ids one read by a derived list (a page's contact persons) sends: the stores take up to 100,000. */
const READ_PART = 50_000;

/** A read by an id list of any length: in parts of READ_PART, one after another (none for no ids). */
async function readInParts<T>(ids: readonly string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [];
  for (const part of slicesOf(ids, READ_PART)) found.push(...(await read(part)));
  return found;
}

/** A chunk's writes in store-sized slices, in order. */
function slicesOf<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** Turns refused target writes into failures of their source records, and drops their links. */
function rejectWrites(
  decided: DecidePageResult,
  refused: Map<string, { field: string; reason: string }>,
  side: string,
  sources: ReadonlyMap<string, Data>,
): void {
  for (const d of decided.decisions) {
    const why = d.targetId ? refused.get(d.targetId) : undefined;
    if (!why || d.outcome === 'failed') continue;
    decided.counts[d.outcome]--;
    decided.counts.failed++;
    d.outcome = 'failed';
    d.detail = `${side} refused the record: ${why.field}: ${why.reason}`;
    decided.failures.push({
      recordId: d.recordId,
      field: why.field,
      reason: `${side} refused the record: ${why.reason}`,
      payload: sources.get(d.recordId) ?? {},
    });
  }
  decided.links = decided.links.filter((l) => !refused.has(l.booksId) && !refused.has(l.crmId));
}

function moduleConfigOf(config: IntegrationConfig, kind: SyncKind) {
  return kind === 'vendor' ? config.vendors : kind === 'item' ? config.items : config.customers;
}

function toPageRecord(r: StoredRecord<Data>): PageRecord {
  return { id: r.id, data: r.data, modifiedTime: r.modifiedTime.toISOString(), deleted: r.deleted };
}

function toLinkState(l: {
  crmId: string;
  booksId: string;
  lastSynced: { crm: Record<string, unknown>; books: Record<string, unknown> };
  contentHash: { crm?: string | undefined; books?: string | undefined };
  deletedIn?: 'crm' | 'books' | undefined;
  parentBooksId?: string | undefined;
  createdTime?: Date | undefined;
}): LinkState {
  return {
    crmId: l.crmId,
    booksId: l.booksId,
    lastSynced: l.lastSynced as LinkState['lastSynced'],
    contentHash: l.contentHash,
    deletedIn: l.deletedIn,
    parentBooksId: l.parentBooksId,
    ...(l.createdTime && { createdTime: l.createdTime.toISOString() }),
  };
}

/** The longest key a failure's payload keeps (the failures' field-name rule). */
const MAX_PAYLOAD_KEY = 128;

/** Failure payloads are stored as documents: keys Mongo refuses are dropped (the record id is kept). */
function stripDollarKeys(data: Data): FailureInput['payload'] {
  return JSON.parse(
    JSON.stringify(data, (key, value: unknown) =>
      key.startsWith('$') || key.includes('.') || key.length > MAX_PAYLOAD_KEY ? undefined : value,
    ),
  ) as FailureInput['payload'];
}
