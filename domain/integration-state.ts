import { totalRunCounts, type CountsByModule } from './sync/counts';
import type { RunTrigger } from './sync-state-schemas';

/**
 * The integration workflow's state rules (ARCHITECTURE §5), pure so that each is table-tested: which request
 * is accepted in which state and what it changes, how sync requests coalesce into runs, when a run is due,
 * when an execution continues as new and what it carries, and the deadline rule for late requests. The
 * workflow keeps the handlers, the activities and the loop, and asks this module every question. Times are
 * epoch milliseconds of workflow time, so a replay decides alike.
 */

export type IntegrationStatusName = 'new' | 'active' | 'paused' | 'disabled';

/** One record set a targeted run moves: a kind, a direction and the source record ids. */
export interface RunTarget {
  kind: 'account' | 'contact' | 'contact_person' | 'vendor' | 'item';
  direction: 'crm_to_books' | 'books_to_crm';
  ids: string[];
}

/** What a targeted run is for: fetch one record (S3.3), import (S3.4) or reprocess failures (S9.6). */
export type TargetedReason = 'fetch' | 'import' | 'reprocess';

export interface RunSummary {
  runId: string;
  runNumber: number;
  trigger: string;
  status: string;
  reason?: string;
  startedAt: string;
  finishedAt: string | null;
  failureCount: number;
  /** Added + updated over every module and direction. */
  changed: number;
}

/**
 * When an operator's request was sent and until when it may still be applied (ISO times, set by the
 * operations layer: the deadline is when its caller stops waiting for a worker to take it). A request the
 * workflow receives after its deadline was given up by its caller: it is refused with the reason and
 * audited, never applied late. Optional, so requests sent before these fields existed still replay.
 */
export interface RequestWindow {
  requestedAt?: string;
  deadline?: string;
}

/** Everything an execution hands to the next: plain JSON. */
export interface CarriedState {
  status: IntegrationStatusName;
  direction: 'two_way' | 'one_way' | null;
  configVersion: number;
  periodicSyncMinutes: number;
  runsStarted: number;
  lastRun: RunSummary | null;
  /** Epoch ms of the last full (not targeted) run's end; null before the first. */
  lastFullRunAt: number | null;
  /** Epoch ms the periodic schedule counts from when no full run has happened yet ("sync later"). */
  scheduleFrom: number | null;
  pendingInstant: boolean;
  notifications: { received: number; queuedSync: number };
}

/** The state of an integration whose workflow has just started: not enabled, nothing run. */
export function initialState(): CarriedState {
  return {
    status: 'new',
    direction: null,
    configVersion: 0,
    periodicSyncMinutes: 120,
    runsStarted: 0,
    lastRun: null,
    lastFullRunAt: null,
    scheduleFrom: null,
    pendingInstant: false,
    notifications: { received: 0, queuedSync: 0 },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Which request is accepted in which state

/** Every request an operator can send the integration; the name is also how refusals and audits call it. */
export type IntegrationRequest =
  'enable' | 'configure' | 'pause' | 'resume' | 'disable' | 'sync now' | TargetedReason;

/** The states in which a request changes something. */
const ACCEPTED_IN: Record<IntegrationRequest, readonly IntegrationStatusName[]> = {
  enable: ['new', 'disabled'],
  configure: ['active', 'paused'],
  pause: ['active'],
  resume: ['paused'],
  disable: ['active', 'paused'],
  'sync now': ['active'],
  fetch: ['active'],
  import: ['active'],
  reprocess: ['active'],
};

/** The status each status change leads to (S3.6 pause and resume, S4.4 disable). */
export const STATUS_CHANGE_TARGET = { pause: 'paused', resume: 'active', disable: 'disabled' } as const;
export type StatusChange = keyof typeof STATUS_CHANGE_TARGET;

const WHY_NOT: Record<IntegrationStatusName, string> = {
  new: 'the integration is not enabled yet',
  active: 'the integration is active',
  paused: 'the integration is paused; resume it first',
  disabled: 'the integration is disabled; enable it again first',
};

/**
 * Whether a status change asks for the status the integration already has: accepted, and answered with the
 * current status without saving anything, so a retried pause or disable is harmless.
 */
export function isAlreadyIn(request: IntegrationRequest, status: IntegrationStatusName): boolean {
  return request in STATUS_CHANGE_TARGET && STATUS_CHANGE_TARGET[request as StatusChange] === status;
}

/** Why a request is refused in a status, in words an operator can act on; null when it is accepted. */
export function refusalOf(request: IntegrationRequest, status: IntegrationStatusName): string | null {
  if (ACCEPTED_IN[request].includes(status) || isAlreadyIn(request, status)) return null;
  return `cannot ${request}: ${WHY_NOT[status]}`;
}

/** The orgs and environment an integration joins: its workflow's input, and an enable request's. */
export interface IntegrationIdentity {
  crmOrgId: string;
  booksOrgId: string;
  environment: string;
}

/** `crmOrg/booksOrg/environment`: how activities, runs and audits name the integration. */
export function integrationIdOf(who: IntegrationIdentity): string {
  return `${who.crmOrgId}/${who.booksOrgId}/${who.environment}`;
}

/** Why an enable is refused for naming another integration than the workflow's own; null when it is its own. */
export function otherIntegrationRefusal(own: IntegrationIdentity, asked: IntegrationIdentity): string | null {
  const same =
    asked.crmOrgId === own.crmOrgId &&
    asked.booksOrgId === own.booksOrgId &&
    asked.environment === own.environment;
  return same ? null : `this workflow is the integration ${integrationIdOf(own)}`;
}

/** Why a targeted run request is refused for naming no record; null when it names some. */
export function noTargetsRefusal(reason: TargetedReason, targets: readonly RunTarget[]): string | null {
  const none = targets.length === 0 || targets.every((t) => t.ids.length === 0);
  return none ? `${reason}: no records given` : null;
}

// ---------------------------------------------------------------------------------------------------------
// What an accepted request changes

/** The settings an enable or configure saved, as the integration document now holds them. */
export interface SavedSettings {
  direction: 'two_way' | 'one_way';
  configVersion: number;
  periodicSyncMinutes: number;
}

/**
 * The state after an enable saved its settings (S2.8): active, with a sync queued now, or else the periodic
 * schedule counted from now ("sync later").
 */
export function enabled(s: CarriedState, saved: SavedSettings, syncNow: boolean, now: number): CarriedState {
  return {
    ...s,
    status: 'active',
    direction: saved.direction,
    configVersion: saved.configVersion,
    periodicSyncMinutes: saved.periodicSyncMinutes,
    ...(syncNow ? { pendingInstant: true } : { scheduleFrom: now }),
  };
}

/**
 * The state after a configure saved its settings, and whether it queued a sync: "save and sync now" (S2.8)
 * queues one only while active; otherwise the new settings apply from the next run (S3.7).
 */
export function configured(
  s: CarriedState,
  saved: SavedSettings,
  syncNow: boolean,
): { state: CarriedState; syncQueued: boolean } {
  const syncQueued = syncNow && s.status === 'active';
  return {
    state: {
      ...s,
      configVersion: saved.configVersion,
      periodicSyncMinutes: saved.periodicSyncMinutes,
      ...(syncQueued && { pendingInstant: true }),
    },
    syncQueued,
  };
}

/**
 * The state once a status change is accepted (before it is saved). Pause and disable drop the queue (S3.6,
 * S4.4): the queued instant sync, and the targeted requests waiting for a run, which are refused with
 * `dropped` (null when they keep waiting). A run in progress is not dropped: it answers its own requests.
 */
export function statusChanged(
  s: CarriedState,
  to: IntegrationStatusName,
): { state: CarriedState; dropped: string | null } {
  if (to === 'active') return { state: { ...s, status: to }, dropped: null };
  return {
    state: { ...s, status: to, pendingInstant: false },
    dropped: `the integration was ${to} before this request ran`,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Coalescing of sync requests

export interface InstantSyncResult {
  /** False when a requested sync was already waiting: this request joined it. */
  queued: boolean;
  coalesced: boolean;
  /** The run that will carry the request (the next one). */
  runNumber: number;
  message: string;
}

/** What else is going on when a sync is asked for. */
export interface RunQueue {
  /** The run in progress, if any. */
  runningRunId: string | null;
  /** Targeted requests waiting for a run (not those whose run is in progress). */
  targetedWaiting: number;
}

/**
 * An instant sync (S3.2): queued, or joined to the one already queued — one run serves every request that
 * arrives before it starts. The answer names the run that will carry it: the next one, or the one after if
 * the waiting targeted requests go first.
 */
export function instantSyncQueued(
  s: CarriedState,
  queue: RunQueue,
): { state: CarriedState; answer: InstantSyncResult } {
  const coalesced = s.pendingInstant;
  const message = coalesced
    ? 'a sync was already requested; this request joins it'
    : queue.runningRunId
      ? `queued: starts when ${queue.runningRunId} finishes`
      : 'queued: starts now';
  return {
    state: { ...s, pendingInstant: true },
    answer: {
      queued: !coalesced,
      coalesced,
      runNumber: s.runsStarted + 1 + (queue.targetedWaiting > 0 ? 1 : 0),
      message,
    },
  };
}

/**
 * A CRM change notification (webhook): always counted; it queues an instant sync only while active (paused
 * or disabled, the change waits for the periodic delta after resume: polling is the truth). `queues` says
 * whether the workflow has something new to look at.
 */
export function crmChangeNoted(s: CarriedState): { state: CarriedState; queues: boolean } {
  const received = s.notifications.received + 1;
  if (s.status !== 'active')
    return { state: { ...s, notifications: { ...s.notifications, received } }, queues: false };
  const queuedSync = s.notifications.queuedSync + (s.pendingInstant ? 0 : 1);
  return { state: { ...s, pendingInstant: true, notifications: { received, queuedSync } }, queues: true };
}

export interface TargetedRunResult {
  runId: string;
  status: string;
  reason?: string;
  failureCount: number;
  changed: number;
}

/** A targeted run request (fetch, import, reprocess) while it waits for its run and then for its answer. */
export interface TargetedRequest {
  requestId: number;
  targets: RunTarget[];
  reason: TargetedReason;
  /** Set when the run carrying the request starts: from then on only its result answers it. */
  started?: boolean;
  result?: TargetedRunResult;
  error?: string;
}

/** Whether a targeted request still waits for a run (not started, not answered). */
export function isWaiting(r: TargetedRequest): boolean {
  return !r.started && !r.result && !r.error;
}

/**
 * The one run that carries every waiting targeted request: named for what was asked (a reprocess is recorded
 * as such; otherwise the first request's reason), over their targets merged.
 */
export function targetedRunOf(waiting: readonly TargetedRequest[]): {
  trigger: TargetedReason;
  targets: RunTarget[];
} {
  const trigger = waiting.some((r) => r.reason === 'reprocess') ? 'reprocess' : waiting[0]!.reason;
  return { trigger, targets: mergeTargets(waiting.flatMap((r) => r.targets)) };
}

/** Targets of the same kind and direction as one, with each id once. */
export function mergeTargets(targets: readonly RunTarget[]): RunTarget[] {
  const merged = new Map<string, RunTarget>();
  for (const t of targets) {
    const key = `${t.kind}|${t.direction}`;
    const into = merged.get(key) ?? { kind: t.kind, direction: t.direction, ids: [] };
    merged.set(key, { ...into, ids: [...new Set([...into.ids, ...t.ids])] });
  }
  return [...merged.values()];
}

/** A targeted run's answer to each request it carried. */
export function targetedResultOf(summary: RunSummary): TargetedRunResult {
  return {
    runId: summary.runId,
    status: summary.status,
    ...(summary.reason !== undefined && { reason: summary.reason }),
    failureCount: summary.failureCount,
    changed: summary.changed,
  };
}

// ---------------------------------------------------------------------------------------------------------
// When a run starts, and which

/**
 * When the next periodic sync is due (S3.1): its interval after the last full run or after an enable that
 * said "sync later", whichever is later; null while not active or before either.
 */
export function nextPeriodicAt(s: CarriedState): number | null {
  if (s.status !== 'active') return null;
  const from = Math.max(s.lastFullRunAt ?? -Infinity, s.scheduleFrom ?? -Infinity);
  return from === -Infinity ? null : from + s.periodicSyncMinutes * 60_000;
}

/**
 * Whether a run starts now: one run at a time, only while active, and only for a queued instant sync, a
 * waiting targeted request or a periodic sync whose time has come.
 */
export function isRunDue(s: CarriedState, queue: RunQueue, now: number): boolean {
  if (s.status !== 'active' || queue.runningRunId !== null) return false;
  if (s.pendingInstant || queue.targetedWaiting > 0) return true;
  const at = nextPeriodicAt(s);
  return at !== null && now >= at;
}

/**
 * The next full (not targeted) run's trigger, and the state once it is chosen: the first is the initial
 * sync; after that a queued instant sync, else the periodic one. The run takes the queued instant sync.
 */
export function fullRunChosen(s: CarriedState): { trigger: RunTrigger; state: CarriedState } {
  const trigger = s.lastFullRunAt === null ? 'initial' : s.pendingInstant ? 'instant' : 'periodic';
  return { trigger, state: { ...s, pendingInstant: false } };
}

/** The state once a run starts, and its number (runs are numbered from 1 over the integration's life). */
export function runStarted(s: CarriedState): { state: CarriedState; runNumber: number } {
  const runNumber = s.runsStarted + 1;
  return { state: { ...s, runsStarted: runNumber }, runNumber };
}

/** Records added, matched to an existing record, or updated, over every module and direction. */
export function changedOf(counts: CountsByModule): number {
  const total = totalRunCounts(counts);
  return total.added + total.matched + total.updated;
}

// ---------------------------------------------------------------------------------------------------------
// Continue-as-new

/** Runs per execution before continuing as new; each run adds about ten events. */
export const RUNS_PER_EXECUTION = 100;
/** History length at which an idle execution continues as new (CRM notifications add events too). */
export const MAX_HISTORY_EVENTS = 2_000;

/** How long the current execution is, and the limits it is held to. */
export interface ExecutionLength {
  continueAsNewSuggested: boolean;
  historyLength: number;
  runsThisExecution: number;
  /** From the workflow input; RUNS_PER_EXECUTION and MAX_HISTORY_EVENTS when not given. */
  runsPerExecution: number | undefined;
  maxHistoryEvents: number | undefined;
}

/** What would be lost by continuing as new now: handlers at work, and targeted requests not yet answered. */
export interface InFlight {
  /** A handler holds the integration document (enable, configure, a status change). */
  busy: boolean;
  /** Targeted requests not yet answered: their handlers await the run's result in this execution. */
  targetedRequests: number;
  allHandlersFinished: boolean;
}

/**
 * Whether to continue as new now: the execution is long (the server suggests it, or by history or by runs)
 * and nothing is in flight. Asked whenever the loop is idle, so notifications that arrive while paused
 * count too.
 */
export function shouldContinueAsNew(length: ExecutionLength, inFlight: InFlight): boolean {
  const long =
    length.continueAsNewSuggested ||
    length.historyLength > (length.maxHistoryEvents ?? MAX_HISTORY_EVENTS) ||
    length.runsThisExecution >= (length.runsPerExecution ?? RUNS_PER_EXECUTION);
  return long && !inFlight.busy && inFlight.targetedRequests === 0 && inFlight.allHandlersFinished;
}

/**
 * The next execution's input: the same integration and options, carrying the whole state. Nothing else
 * survives: no run or request is in flight then (`shouldContinueAsNew`), and the run counter of the
 * execution starts again.
 */
export function nextExecutionInput<I extends { carried?: CarriedState }>(input: I, s: CarriedState): I {
  return { ...input, carried: s };
}

// ---------------------------------------------------------------------------------------------------------
// Enable wait and update deadlines

/** How long a started workflow waits for its first enable before ending. */
export const ENABLE_WAIT = '1 minute';

/**
 * Whether a workflow started for an enable stops waiting for it: it was enabled, or an enable was refused
 * and no other is being handled (a refused enable ends the workflow started for it).
 */
export function enableWaitOver(s: CarriedState, enableFailures: number, busy: boolean): boolean {
  return s.status !== 'new' || (enableFailures > 0 && !busy);
}

/** Why a request window is refused by the validator (its times must be ISO times); null when it is sound. */
export function windowProblem(req: RequestWindow): string | null {
  for (const [name, at] of [
    ['requestedAt', req.requestedAt],
    ['deadline', req.deadline],
  ] as const)
    if (at !== undefined && (typeof at !== 'string' || Number.isNaN(Date.parse(at))))
      return `invalid request: ${name} must be an ISO time`;
  return null;
}

/**
 * Whether a request arrived after its deadline, i.e. after its caller stopped waiting for a worker to take
 * it (say the worker was down, and has just started again).
 */
export function isExpired(req: RequestWindow, now: number): boolean {
  return req.deadline !== undefined && now > Date.parse(req.deadline);
}

/** Why a late request was refused: when it was sent, when it arrived, its deadline. */
export function expiredReason(action: string, req: RequestWindow, now: number): string {
  const receivedAt = new Date(now).toISOString();
  return (
    `the ${action} request sent at ${req.requestedAt ?? '(unknown time)'} arrived at ${receivedAt}, ` +
    `after its deadline ${req.deadline}: its caller had stopped waiting, so it was not applied`
  );
}
