import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DocumentRef, FollowDocumentResult, PushDocumentResult } from '../activities/documents';
import type { StepTarget } from '../domain/sync/plan';
import { dependencyRunId, dependencyRunNumber } from '../domain/sync/documents/dependency-runs';
import { withHistoryEntry, type DocumentHistoryEntry } from '../domain/sync/documents/history';
import type { FieldProblem } from '../domain/validation';
import type { DeltaCursor } from '../domain/sync-state-schemas';
import { SMALL_STEP, SYNC_STEP } from './activity-options';
import { documentChangedSignal, documentProgressQuery, type DocumentProgress } from './document-messages';

export interface DocumentSyncInput extends DocumentRef {
  /** Completes after this long with no change on either side (default 7 days); a later change starts it again. */
  quietPeriodMs?: number;
  /**
   * The first wait between two reads of the Books document; doubled while nothing changes (default 1 minute:
   * Books changes reach the workflow from the poller within seconds, the reads are the safety net).
   */
  pollMs?: number;
  /** The longest wait between two reads (default 10 minutes). */
  maxPollMs?: number;
  /**
   * Set by the poller when a change of the Books document started the workflow: read Books back, push
   * nothing. `booksId` names the Books document to read.
   */
  wokenBy?: 'books';
  booksId?: string;
  /** Set by continue-as-new: what the previous execution knew. */
  carried?: {
    booksId: string | null;
    status: string | null;
    /** A change received and not yet pushed. */
    pending: boolean;
    /** Epoch ms of the last change seen on either side. */
    lastChangeAt: number;
    pollMs: number;
    /** A Books change received and not yet read. */
    booksChanged?: boolean;
    /** When Books may change the document by itself (FollowDocumentResult's followAt). */
    followAt?: number | null;
    history?: DocumentHistoryEntry[];
    /** The CRM version last pushed (PushDocumentResult's version). */
    pushedVersion?: string;
  };
}

export interface DocumentSyncResult {
  /** `final`: Books reached a final status; `idle`: nothing changed for the quiet period. */
  ended: 'final' | 'idle';
  booksId: string | null;
  status: string | null;
}

const DEFAULT_QUIET_MS = 7 * 24 * 3600_000;
const DEFAULT_POLL_MS = 60_000;
const DEFAULT_MAX_POLL_MS = 10 * 60_000;
/** Loops per execution before continuing as new: each is a timer and an activity or two (about 8 events). */
const LOOPS_PER_EXECUTION = 200;

/** An activity whose summary in the Temporal UI says what it does for this document. */
function activity<K extends keyof Activities>(name: K, summary: string, options = SMALL_STEP): Activities[K] {
  return proxyActivities<Activities>({ ...options, summary })[name];
}

/** Keeps the SyncStatus search attribute current when the starter registered it (as the API and poller do). */
function label(status: string): void {
  if (workflowInfo().searchAttributes?.SyncStatus === undefined) return;
  upsertSearchAttributes({ SyncStatus: [status] });
}

const problemLines = (problems: readonly FieldProblem[]) => problems.map((p) => `${p.field}: ${p.reason}`);

/**
 * One CRM finance document (issue 16, S4.1), id `txn/{crmOrg}/{module}/{id}`: started or signalled with
 * signal-with-start on every change. Pushes the document to Books, its customer or vendor and items synced
 * first by a targeted sync run (S9.2), then follows the Books document with a durable timer, bringing its
 * status, totals, balance and payments to the CRM copy (S9.3), until a final status or a quiet period with
 * no change on either side. Deterministic; a refused document waits for its next change.
 */
export async function documentSyncWorkflow(input: DocumentSyncInput): Promise<DocumentSyncResult> {
  const ref: DocumentRef = {
    integrationId: input.integrationId,
    crmModule: input.crmModule,
    crmId: input.crmId,
  };
  const { workflowId } = workflowInfo();
  const quietMs = input.quietPeriodMs ?? DEFAULT_QUIET_MS;
  const firstPollMs = input.pollMs ?? DEFAULT_POLL_MS;
  const maxPollMs = input.maxPollMs ?? DEFAULT_MAX_POLL_MS;
  let pending = input.carried?.pending ?? input.wokenBy !== 'books';
  let booksChanged = input.carried?.booksChanged ?? input.wokenBy === 'books';
  /** undefined: an activity that did not say (read at the poll interval); null: only a write changes it. */
  let followAt = input.carried?.followAt;
  let lastChangeAt = input.carried?.lastChangeAt ?? Date.now();
  let pollMs = input.carried?.pollMs ?? firstPollMs;
  let refused = false;
  let final = false;
  const progress: DocumentProgress = {
    phase: 'pushing',
    booksId: input.carried?.booksId ?? input.booksId ?? null,
    status: input.carried?.status ?? null,
    problems: [],
    changes: 0,
    pushes: 0,
    polls: 0,
    history: input.carried?.history ?? [],
  };
  // The CRM version the last push read (ISO): a change naming it or an older one is in Books already, and one
  // received while a push is on its way is let go once that push has read it. Histories from before push on
  // every change.
  let pushedVersion = input.carried?.pushedVersion;
  /** The latest version named by the changes pending; null when one of them named none. */
  let pendingVersion: string | null | undefined;
  const versioned = patched('document-signal-versions');
  const pushedAlready = (version: string | null | undefined) =>
    versioned && typeof version === 'string' && pushedVersion !== undefined && version <= pushedVersion;
  setHandler(documentProgressQuery, () => progress);
  setHandler(documentChangedSignal, (change) => {
    if (change?.source === 'books') booksChanged = true;
    else if (pushedAlready(change?.version)) {
      progress.staleChanges = (progress.staleChanges ?? 0) + 1;
      return;
    } else {
      const version = change?.version ?? null;
      // The latest version among the pending changes; null once one of them names none.
      if (!pending || pendingVersion === undefined) pendingVersion = version;
      else if (pendingVersion !== null && (version === null || version > pendingVersion))
        pendingVersion = version;
      pending = true;
    }
    progress.changes++;
  });
  const show = () => setCurrentDetails(documentDetails(ref, progress));

  /** Entries not yet in the memo, which keeps the history readable once the workflow has ended. */
  let unsaved = false;
  const record = (entry: DocumentHistoryEntry, save = true) => {
    progress.history = withHistoryEntry(progress.history ?? [], entry);
    unsaved ||= save;
  };
  /** Before every wait and at the end; a single memo write (a history event) only when something was added. */
  const saveHistory = () => {
    if (!unsaved || !patched('document-sync-history-memo')) return;
    upsertMemo({ history: progress.history });
    unsaved = false;
  };
  const now = () => new Date(Date.now()).toISOString();

  /** A change on either side: the quiet period starts again and Books is read again soon. */
  const changed = () => {
    lastChangeAt = Date.now();
    pollMs = firstPollMs;
  };

  const push = async (): Promise<Exclude<PushDocumentResult, { dependencies: unknown }>> => {
    progress.phase = 'pushing';
    progress.pushes++;
    label('pushing');
    show();
    const pushDocument = activity('pushDocument', `Push ${input.crmModule} ${input.crmId} to Books`);
    const dependencyRun = async (targets: StepTarget[]) => {
      progress.phase = 'syncing_dependencies';
      show();
      const runId = dependencyRunId(workflowId, workflowInfo().runId, progress.pushes);
      const run = await syncDependencies(ref.integrationId, targets, runId);
      record({ what: 'dependency_run', at: now(), runId, outcome: run.status, failures: run.failureCount });
    };
    // One activity when everything is in Books already: the push itself says what is missing.
    if (patched('push-reads-dependencies')) {
      const first = await pushDocument({ ...ref, workflowId, askForDependencies: true });
      if (!('dependencies' in first)) return first;
      await dependencyRun(first.dependencies);
    } else {
      const needed = await activity(
        'readDocumentDependencies',
        `What ${input.crmModule} ${input.crmId} needs in Books`,
      )(ref);
      if (needed.ok && needed.targets.length > 0) await dependencyRun(needed.targets);
    }
    // Not asked this time: what is still missing is a refusal with its reasons.
    const pushed = await pushDocument({ ...ref, workflowId });
    return 'dependencies' in pushed ? { ok: false, problems: [] } : pushed;
  };

  for (let loops = 0; ; loops++) {
    if (pending) {
      pending = false;
      pendingVersion = undefined;
      changed();
      const pushed = await push();
      refused = !pushed.ok;
      if (pushed.ok && pushed.version !== undefined) {
        if (pushedVersion === undefined || pushed.version > pushedVersion) pushedVersion = pushed.version;
        // Changes received during the push that it read already.
        if (pending && pushedAlready(pendingVersion)) {
          pending = false;
          pendingVersion = undefined;
          progress.staleChanges = (progress.staleChanges ?? 0) + 1;
        }
      }
      if (pushed.ok) {
        progress.booksId = pushed.booksId;
        progress.status = pushed.status;
        progress.problems = [];
        progress.phase = 'following';
        final = pushed.final;
        followAt = pushed.followAt;
      } else {
        progress.problems = problemLines(pushed.problems);
        progress.phase = 'refused';
      }
      record({
        what: 'push',
        at: now(),
        outcome: pushed.ok ? pushed.status : 'refused',
        ...(!pushed.ok && progress.problems[0] !== undefined && { detail: progress.problems[0] }),
      });
      label(pushed.ok ? pushed.status : 'refused');
      show();
    }
    const following = !refused && progress.booksId !== null;
    if (booksChanged && !pending) {
      // Read at once: a payment or a status change in Books, seen by the poller.
      booksChanged = false;
      if (following) final = await follow(progress.booksId!, 'books');
    }
    if (final || Date.now() - lastChangeAt >= quietMs) {
      // A change arriving while it ends is pushed, not dropped: its signal is handled before we return.
      await condition(allHandlersFinished);
      if (!pending && !booksChanged) return finish(final ? 'final' : 'idle');
      continue;
    }
    if (loops >= LOOPS_PER_EXECUTION || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      saveHistory();
      return continueAsNew<typeof documentSyncWorkflow>({
        ...input,
        carried: {
          booksId: progress.booksId,
          status: progress.status,
          pending,
          lastChangeAt,
          pollMs,
          booksChanged,
          ...(followAt !== undefined && { followAt }),
          ...(pushedVersion !== undefined && { pushedVersion }),
          history: progress.history ?? [],
        },
      });
    }
    // Wait for a change on either side, or until Books is read again; never past the end of the quiet period.
    saveHistory();
    const quietLeft = quietMs - (Date.now() - lastChangeAt);
    const readIn = following ? nextReadIn(followAt, pollMs, Date.now()) : Infinity;
    if (await condition(() => pending || booksChanged, Math.max(1, Math.min(readIn, quietLeft)))) continue;
    // At the end of the quiet period a document with a known next change (or only a write) is not read again;
    // one with none known is read a last time, as before that was known.
    if (following && (followAt === undefined || readIn <= quietLeft))
      final = await follow(progress.booksId!, 'timer');
  }

  /** Reads the Books document into the CRM copy; whether its status is final. */
  async function follow(booksId: string, cause: 'timer' | 'books'): Promise<boolean> {
    const followed: FollowDocumentResult = await activity(
      'followDocument',
      `Read Books ${input.crmModule} ${input.crmId}`,
    )({
      ...ref,
      workflowId,
      booksId,
    });
    progress.polls++;
    if (followed.ok && followed.changed) changed();
    else pollMs = Math.min(pollMs * 2, maxPollMs);
    if (followed.ok) followAt = followed.followAt;
    const updated = followed.ok && followed.changed;
    // Reads that found nothing new are counted in the query; the memo is written for the next real change.
    record(
      { what: 'follow', at: now(), outcome: followed.status, changed: updated, cause, reads: 1 },
      updated,
    );
    progress.status = followed.status;
    progress.problems = followed.ok ? [] : problemLines(followed.problems);
    label(followed.status);
    show();
    return followed.ok && followed.final;
  }

  function finish(ended: DocumentSyncResult['ended']): DocumentSyncResult {
    progress.phase = 'finished';
    unsaved ||= (progress.history ?? []).length > 0;
    saveHistory();
    show();
    return { ended, booksId: progress.booksId, status: progress.status };
  }
}

/**
 * The dependency run: a targeted sync run over the same prepare, step and finish activities as every run
 * (S9.2), with an entry of its own in the sync history. A dependency it could not sync stays unlinked, and
 * the push refuses the document with that dependency's recorded reason.
 */
export async function syncDependencies(
  integrationId: string,
  targets: StepTarget[],
  runId: string,
): Promise<{ status: string; failureCount: number }> {
  const { prepareSyncRun, finishSyncRun } = proxyActivities<Activities>(SMALL_STEP);
  const prepared = await prepareSyncRun({
    integrationId,
    runId,
    runNumber: dependencyRunNumber(runId),
    trigger: 'dependency',
    targets,
  });
  if (!prepared.ok) return finishSyncRun({ runId, status: 'failed', reason: prepared.reason });
  for (const step of prepared.steps) {
    const syncStep = activity(
      'syncStep',
      `Sync ${step.kind} ${step.ids?.join(', ') ?? ''} to Books first`,
      SYNC_STEP,
    );
    let cursor: DeltaCursor | null | undefined;
    let window: SyncStepWindow | undefined;
    do {
      const res = await syncStep({
        integrationId,
        runId,
        step,
        ...(cursor !== undefined && { cursor }),
        ...(window !== undefined && { window }),
      });
      cursor = res.next;
      window = res.window;
    } while (cursor !== null);
  }
  return finishSyncRun({ runId, status: 'completed' });
}

/**
 * How long until Books is read again: at the poll interval when the activity did not say when the document
 * may change by itself (`undefined`), at that time when it did, never when only a write can change it (the
 * poller signals those).
 */
function nextReadIn(followAt: number | null | undefined, pollMs: number, now: number): number {
  if (followAt === undefined) return pollMs;
  if (followAt === null) return Infinity;
  return Math.max(1, followAt - now);
}

type SyncStepWindow = NonNullable<Awaited<ReturnType<Activities['syncStep']>>['window']>;

/** What the Temporal UI shows of the document while the workflow runs (its current details). */
function documentDetails(ref: DocumentRef, p: DocumentProgress): string {
  const lines = [
    `**${ref.crmModule} ${ref.crmId}** → Books ${p.booksId ?? '(not yet pushed)'}`,
    `Phase: ${p.phase}; Books status: ${p.status ?? '—'}`,
    `Changes ${p.changes}, pushes ${p.pushes}, Books reads ${p.polls}`,
    ...p.problems.map((line) => `- refused: ${line}`),
  ];
  return lines.join('\n\n');
}
