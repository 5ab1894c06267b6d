import { CancelledFailure, Context } from '@temporalio/activity';
import { stableStringify } from '../../domain/hash';
import { emptyRunCounts } from '../../domain/sync/counts';
import {
  countDecisions,
  mergeRedone,
  type DecidePageResult,
  type RecordDecision,
} from '../../domain/sync/decide';
import { countedDecisions, pageSkips, staleSources } from '../../domain/sync/step-rules';
import { failureIdOf, type DeltaCursor, type RunCounts } from '../../domain/sync-state-schemas';
import { MAX_DELTA_PAGE, compareCursors } from '../../stores/delta';
import { positionOf } from '../../stores/record-collection';
import type { ChangedPage, StoredRecord } from '../../stores/record-store';
import { applyChunk, auditConflicts } from './apply';
import { loadChunkContext, loadIntegration, stepSource, type KindSettings } from './context';
import { decideChunk } from './decide';
import { isolatingPoison, recordPoisoned } from './poison';
import {
  STEP_SIZE,
  type ChunkContext,
  type Data,
  type PoisonedRecord,
  type StepWindow,
  type SyncDeps,
  type SyncStepInput,
  type SyncStepResult,
} from './types';
import { readPage, savePosition, startingPoint } from './window';

/** How often a sync step heartbeats while it works (its heartbeat timeout is a minute). */
const HEARTBEAT_PULSE_MS = 10_000;

/** How often a record whose target changed between the read and the write is decided again. */
const MAX_DECIDE_ROUNDS = 4;

/**
 * The body of syncStep: up to `maxRecords` changed records of one step, in chunks, each read (window.ts),
 * loaded, decided and applied; then the step's cursor is saved and heartbeated, so a retry resumes after the
 * last finished chunk.
 */
export async function runStep(
  deps: SyncDeps,
  settings: KindSettings,
  input: SyncStepInput,
): Promise<SyncStepResult> {
  const ctx = Context.current();
  const state = deps.syncState;
  const { step } = input;
  const integration = await loadIntegration(state, input.integrationId);
  const source = stepSource(deps, step, integration);
  const cursorModule = `${step.kind}`;

  const start = await startingPoint(state, input, cursorModule, source, deps.quietMs);
  const window = start.window;
  // Nothing changed since the last read to the end: the step costs its few point reads, and writes nothing.
  if (start.quiet) return { next: null, counts: emptyRunCounts(), records: 0, window };
  const chunk = await loadChunkContext(deps, settings, input, integration);
  let cursor = start.cursor;
  const size = deps.stepSize ?? STEP_SIZE;
  const maxRecords = input.maxRecords ?? size.maxRecords;
  const chunkSize = Math.min(input.chunkSize ?? size.chunkSize, maxRecords, MAX_DELTA_PAGE);
  const counts = emptyRunCounts();
  let records = 0;

  // Beat while working, not only between chunks: a chunk of thousands can take minutes on FerretDB (its reads
  // scan whole collections), and the heartbeat timeout is there to notice a dead worker, not a big chunk. The
  // details are always the last finished chunk's cursor (and the step's window), so a retry resumes after it.
  const pulse = setInterval(() => ctx.heartbeat({ cursor, window }), HEARTBEAT_PULSE_MS);
  try {
    while (records < maxRecords) {
      // A worker shutting down cancels us between chunks; the retry resumes from the heartbeated cursor.
      if (ctx.cancellationSignal.aborted) throw new CancelledFailure('the worker is shutting down');
      const page = await readPage(source.records, source.org, step, cursor, chunkSize);
      if (page.records.length > 0 || (page.unreadable?.length ?? 0) > 0) {
        const pageCount = await syncPage(deps, settings, chunk, input, window, cursor, page);
        for (const k of Object.keys(counts) as (keyof RunCounts)[]) counts[k] += pageCount[k];
        records += page.records.length + (page.unreadable?.length ?? 0);
      }
      if (!step.ids) await savePosition(state, input, cursorModule, window, page.position, !page.next);
      cursor = page.position;
      ctx.heartbeat({ cursor, window });
      if (!page.next) return { next: null, counts, records, window };
    }
    return { next: cursor, counts, records, window };
  } finally {
    clearInterval(pulse);
  }
}

/**
 * One page of a step: decided and applied with poisoned records isolated, its conflicts audited, and its
 * counts recorded once per page. Returns the page's counts.
 */
async function syncPage(
  deps: SyncDeps,
  settings: KindSettings,
  chunk: ChunkContext,
  input: SyncStepInput,
  window: StepWindow,
  cursor: DeltaCursor | null,
  page: ChangedPage<Data>,
): Promise<RunCounts> {
  const state = deps.syncState;
  const { step, spec } = chunk;
  const pageKey =
    `${step.kind}.${step.direction}.${cursor ? `${cursor.modifiedTime}.${cursor.id}` : 'start'}`.replace(
      /[^A-Za-z0-9._:/|#-]/g,
      '_',
    );
  // Records the previous run read already were counted then (domain/sync/step-rules.ts countedDecisions). A record
  // that fails again there, with the failure it has open, is not recorded or counted again.
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
    const reasons = new Map(open.filter((f) => f.status === 'open').map((f) => [f.recordId, f.reason]));
    const repeats = again.filter((f) => reasons.get(f.recordId) === f.reason).map((f) => f.recordId);
    for (const id of repeats) repeatedFailures.add(id);
    decided.failures = decided.failures.filter((f) => !repeats.includes(f.recordId));
  };
  const countOf = (decisions: readonly RecordDecision[]) => {
    const counted = countedDecisions(decisions, readBefore, repeatedFailures);
    return { counts: countDecisions(counted), skips: pageSkips(counted) };
  };
  const counting = { runId: input.runId, pageKey, module: spec.module, direction: step.direction };
  // The counts are recorded as decided, before anything is written, once per page (the first attempt wins): a
  // retry after a crash mid-write finds its own earlier writes done and would count them as unchanged. The
  // attempt that recorded them corrects them if the writes turned out otherwise.
  type Counted = ReturnType<typeof countOf>;
  let intent: { counted: boolean; decided: Counted } | undefined;
  const recordIntent = async (decisions: readonly RecordDecision[]) => {
    const decided = countOf(decisions);
    const { counted } = await state.addRunCounts({ ...counting, ...decided });
    intent = { counted, decided };
  };
  let whole = true;
  const isolated = await isolatingPoison(page.records, (part) => {
    const onDecided = whole ? recordIntent : undefined;
    whole = false;
    return decideAndApply(deps, settings, chunk, part, onDecided, dropRepeatedFailures);
  });
  const unreadable = (page.unreadable ?? []).map((u): PoisonedRecord => ({
    record: { id: u.id, data: u.data },
    field: u.field,
    reason: u.reason,
  }));
  const decisions = [
    ...isolated.decisions,
    ...(await recordPoisoned(state, chunk, [...isolated.poisoned, ...unreadable])),
  ];
  await auditConflicts(state, chunk, decisions);
  const final = countOf(decisions);
  const recorded = intent as { counted: boolean; decided: Counted } | undefined;
  if (!recorded) await recordIntent(decisions);
  else if (recorded.counted && stableStringify(recorded.decided) !== stableStringify(final))
    await state.correctRunCounts({ ...counting, ...final });
  return final.counts;
}

/**
 * Decides a chunk's records and writes the outcome. A target that changed between the read and its write
 * (the write is conditional on the version read) is decided again on what it holds now, a few times; one
 * that keeps changing fails its record, for reprocessing. Returns every record's decision.
 */
async function decideAndApply(
  deps: SyncDeps,
  settings: KindSettings,
  c: ChunkContext,
  page: StoredRecord<Data>[],
  onDecided?: (decisions: readonly RecordDecision[]) => Promise<void>,
  review?: (decided: DecidePageResult) => Promise<void>,
): Promise<RecordDecision[]> {
  const state = deps.syncState;
  const sourcesOf = (records: StoredRecord<Data>[]) => new Map(records.map((r) => [r.id, r.data]));
  let decided = await decideChunk(deps, settings, c, page);
  await review?.(decided);
  let decisions = decided.decisions;
  await onDecided?.(decisions);
  let stale = await applyChunk(state, decided, { ...c, sources: sourcesOf(page) });
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
      return [
        ...decisions.filter((d) => !redo.has(d.recordId)),
        ...(await recordPoisoned(state, c, poisoned)),
      ];
    }
    const again = page.filter((r) => redo.has(r.id));
    decided = await decideChunk(deps, settings, c, again);
    await review?.(decided);
    stale = await applyChunk(state, decided, { ...c, sources: sourcesOf(again) });
    decisions = mergeRedone(decisions, redo, decided.decisions);
  }
  return decisions;
}
