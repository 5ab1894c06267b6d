import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowCancellationType,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  currentUpdateInfo,
  executeChild,
  isCancellation,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { rootCauseMessage } from '../domain/errors';
import { integrationWorkflowId, syncRunWorkflowId } from '../domain/ids';
import { totalRunCounts } from '../domain/sync/counts';
import { checkIntegrationConfig, type RunTrigger } from '../domain/sync-state-schemas';
import {
  configureUpdate,
  crmChangedSignal,
  disableUpdate,
  enableUpdate,
  instantSyncUpdate,
  integrationStatusQuery,
  pauseUpdate,
  resumeUpdate,
  targetedRunUpdate,
  type Actor,
  type IntegrationStatus,
  type IntegrationStatusName,
  type RequestWindow,
  type RunSummary,
  type RunTarget,
  type StatusChangeRequest,
  type TargetedRunRequest,
  type TargetedRunResult,
} from './messages';
import { syncRunWorkflow, type SyncRunResult } from './sync-run';

export interface IntegrationWorkflowInput {
  crmOrgId: string;
  booksOrgId: string;
  environment: 'production' | 'sandbox';
  /** Set by continue-as-new: the state of the previous execution. */
  carried?: CarriedState;
  /** Whether to maintain the custom search attributes (default true; off where they are not registered). */
  searchAttributes?: boolean;
  /** Sync runs per execution before continuing as new (default 100); lower in tests. */
  runsPerExecution?: number;
  /** History events at which an idle execution continues as new (default 2,000); lower in tests. */
  maxHistoryEvents?: number;
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

export interface IntegrationWorkflowResult {
  status: IntegrationStatusName;
  reason: string;
}

const { enableIntegration, configureIntegration, setIntegrationStatus } = proxyActivities<Activities>({
  // A few reads and writes of the integration document (disable may delete CRM finance copies in batches).
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    nonRetryableErrorTypes: ['ConfigInvalid', 'ValidationFailed', 'NotFound', 'Conflict'],
  },
});

/** One audit entry for a refused late request: a single insert, retried until it lands (it is idempotent). */
const { recordExpiredRequest } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** Runs per execution before continuing as new; each run adds about ten events. */
const RUNS_PER_EXECUTION = 100;
/** History length at which an idle execution continues as new (CRM notifications add events too). */
const MAX_HISTORY_EVENTS = 2_000;
/** How long a started workflow waits for its first enable before ending. */
const ENABLE_WAIT = '1 minute';

interface TargetedRequest {
  requestId: number;
  targets: RunTarget[];
  reason: TargetedRunRequest['reason'];
  /** Set when the run carrying the request starts: from then on only its result answers it. */
  started?: boolean;
  result?: TargetedRunResult;
  error?: string;
}

/**
 * The entity workflow of one integration (ARCHITECTURE §5): holds its state (active, paused, disabled), runs
 * one sync run at a time as a child workflow — the initial sync, the periodic sync every 2 hours (S3.1) on a
 * durable timer, coalesced instant syncs (S3.2) and targeted runs (fetch one record S3.3, import S3.4,
 * reprocess S9.6) — and takes enable, configure (S3.7), pause/resume (S3.6) and disable (S4.4) as updates
 * that are validated before they are accepted. It continues as new so it can live for years.
 */
export async function integrationWorkflow(
  input: IntegrationWorkflowInput,
): Promise<IntegrationWorkflowResult> {
  const integrationId = `${input.crmOrgId}/${input.booksOrgId}/${input.environment}`;
  // Validates the parts (and keeps the id in one format with the client's).
  integrationWorkflowId(input.crmOrgId, input.booksOrgId, input.environment);
  const s: CarriedState = input.carried ?? {
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
  const targeted: TargetedRequest[] = [];
  let nextRequestId = 1;
  let running: IntegrationStatus['running'] = null;
  let runScope: CancellationScope | null = null;
  let runsThisExecution = 0;
  /** Bumped on every state change, so a waiting timer re-evaluates. */
  let changes = 0;
  let enableFailures = 0;
  let busy = false;

  /** Serialises the handlers that write the integration document (FerretDB does not isolate them). */
  async function exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await condition(() => !busy);
    busy = true;
    try {
      return await fn();
    } finally {
      busy = false;
      changes++;
    }
  }

  const nextPeriodicAt = (): number | null => {
    if (s.status !== 'active') return null;
    // Counted from the last full run, or from an enable that said "sync later", whichever is later.
    const from = Math.max(s.lastFullRunAt ?? -Infinity, s.scheduleFrom ?? -Infinity);
    return from === -Infinity ? null : from + s.periodicSyncMinutes * 60_000;
  };
  /** Targeted requests waiting for a run (not those whose run is in progress). */
  const waitingRequests = () => targeted.filter((r) => !r.started && !r.result && !r.error);
  const due = () =>
    s.status === 'active' &&
    running === null &&
    (s.pendingInstant || waitingRequests().length > 0 || periodicDue());
  const periodicDue = () => {
    const at = nextPeriodicAt();
    return at !== null && Date.now() >= at;
  };

  function status(): IntegrationStatus {
    const at = nextPeriodicAt();
    return {
      integrationId,
      status: s.status,
      direction: s.direction,
      configVersion: s.configVersion,
      periodicSyncMinutes: s.periodicSyncMinutes,
      runsStarted: s.runsStarted,
      running,
      lastRun: s.lastRun,
      nextPeriodicSyncAt: at === null ? null : new Date(at).toISOString(),
      pendingInstantSync: s.pendingInstant,
      pendingTargetedRequests: waitingRequests().length,
      notifications: { ...s.notifications },
    };
  }

  let published = '';
  function publish(): void {
    const label = running ? 'syncing' : s.status;
    if (input.searchAttributes !== false && s.status !== 'new' && label !== published) {
      published = label;
      upsertSearchAttributes({
        CrmOrg: [input.crmOrgId],
        BooksOrg: [input.booksOrgId],
        SyncEnv: [input.environment],
        SyncStatus: [label],
      });
    }
    const last = s.lastRun ? `; last run #${s.lastRun.runNumber} ${s.lastRun.status}` : '';
    const at = nextPeriodicAt();
    const next =
      at === null
        ? ''
        : `; periodic sync every ${s.periodicSyncMinutes} min, next ${new Date(at).toISOString()}`;
    setCurrentDetails(
      `**${label}** — CRM ${input.crmOrgId} ↔ Books ${input.booksOrgId} (${input.environment})` +
        `${running ? `, running ${running.runId}` : ''}${last}${next}`,
    );
  }

  /**
   * Rejects the waiting targeted requests (pause, disable) with a message saying why. A request whose run is
   * in progress is not dropped: that run completes (pause) or ends cancelled (disable), and answers it.
   */
  function dropRequests(why: string): void {
    s.pendingInstant = false;
    for (const r of waitingRequests()) r.error = why;
  }

  /**
   * Refuses an action the current state does not allow. Validators throw a plain Error (the update is
   * rejected before it enters history); a handler re-checking after waiting its turn (`inHandler`) must throw
   * an ApplicationFailure, since any other error would fail the workflow task instead of the update.
   */
  const requireState = (allowed: IntegrationStatusName[], action: string, inHandler = false) => {
    if (allowed.includes(s.status)) return;
    const why: Record<IntegrationStatusName, string> = {
      new: 'the integration is not enabled yet',
      active: 'the integration is active',
      paused: 'the integration is paused; resume it first',
      disabled: 'the integration is disabled; enable it again first',
    };
    const message = `cannot ${action}: ${why[s.status]}`;
    throw inHandler
      ? ApplicationFailure.create({ message, type: 'Conflict', nonRetryable: true })
      : new Error(message);
  };

  const parseConfig = (config: unknown): void => {
    const checked = checkIntegrationConfig(config);
    if (!checked.ok) throw new Error(`invalid configuration: ${checked.issues.join('; ')}`);
  };

  /** Validators refuse a request window that is not two ISO times. */
  const checkWindow = (req: RequestWindow): void => {
    for (const [name, at] of [
      ['requestedAt', req.requestedAt],
      ['deadline', req.deadline],
    ] as const)
      if (at !== undefined && (typeof at !== 'string' || Number.isNaN(Date.parse(at))))
        throw new Error(`invalid request: ${name} must be an ISO time`);
  };

  /**
   * Whether a request arrived after its deadline, i.e. after its caller stopped waiting for a worker to
   * take it (say the worker was down, and has just started again). Workflow time, so a replay decides alike.
   */
  const expired = (req: RequestWindow): boolean =>
    req.deadline !== undefined && Date.now() > Date.parse(req.deadline);

  /**
   * Refuses a late request instead of applying it long after it was given up: audits why, then fails the
   * update with the reason (no caller waits for it, but the Temporal UI shows it). Decided before the
   * handler waits its turn, and before any state changes.
   */
  function refuseIfExpired(
    req: RequestWindow & { actor?: Actor },
    action: string,
    onRefused?: () => void,
  ): Promise<never> | undefined {
    if (!expired(req)) return undefined;
    onRefused?.();
    return refuseExpired(req, action);
  }

  async function refuseExpired(req: RequestWindow & { actor?: Actor }, action: string): Promise<never> {
    const receivedAt = new Date(Date.now()).toISOString();
    const reason =
      `the ${action} request sent at ${req.requestedAt ?? '(unknown time)'} arrived at ${receivedAt}, ` +
      `after its deadline ${req.deadline}: its caller had stopped waiting, so it was not applied`;
    await recordExpiredRequest({
      integrationId,
      action,
      actor: actorOf(req.actor),
      reason,
      ...(currentUpdateInfo() && { requestId: currentUpdateInfo()!.id }),
    });
    throw ApplicationFailure.create({ message: reason, type: 'RequestExpired', nonRetryable: true });
  }

  /** An activity's refusal as the update's failure, with its message and type. */
  const asUpdateFailure = (err: unknown): never => {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)
      throw ApplicationFailure.create({
        message: err.cause.message,
        type: err.cause.type ?? 'Refused',
        nonRetryable: true,
      });
    throw err;
  };

  const actorOf = (actor: Actor | undefined): Actor => actor ?? { id: 'operator' };

  setHandler(integrationStatusQuery, status);

  setHandler(
    enableUpdate,
    async (req) =>
      // A refused enable ends a workflow started for it, as any other refusal does.
      refuseIfExpired(req, 'enable', () => enableFailures++) ??
      exclusive(async () => {
        // Another enable may have gone first while this one waited its turn.
        requireState(['new', 'disabled'], 'enable', true);
        const reEnabled = s.status === 'disabled';
        try {
          const res = await enableIntegration({
            integrationId,
            crmOrgId: input.crmOrgId,
            booksOrgId: input.booksOrgId,
            environment: input.environment,
            config: req.config,
            actor: actorOf(req.actor),
          });
          s.status = 'active';
          s.direction = res.direction;
          s.configVersion = res.configVersion;
          s.periodicSyncMinutes = res.periodicSyncMinutes;
          if (req.syncNow) s.pendingInstant = true;
          else s.scheduleFrom = Date.now();
          publish();
          return {
            status: s.status,
            direction: res.direction,
            configVersion: res.configVersion,
            reEnabled,
            syncQueued: req.syncNow,
          };
        } catch (err) {
          enableFailures++;
          return asUpdateFailure(err);
        }
      }),
    {
      validator: (req) => {
        checkWindow(req);
        requireState(['new', 'disabled'], 'enable');
        if (
          req.crmOrgId !== input.crmOrgId ||
          req.booksOrgId !== input.booksOrgId ||
          req.environment !== input.environment
        )
          throw new Error(`this workflow is the integration ${integrationId}`);
        parseConfig(req.config);
      },
    },
  );

  setHandler(
    configureUpdate,
    async (req) =>
      refuseIfExpired(req, 'configure') ??
      exclusive(async () => {
        requireState(['active', 'paused'], 'configure', true);
        const res = await configureIntegration({
          integrationId,
          config: req.config,
          actor: actorOf(req.actor),
        }).catch(asUpdateFailure);
        s.configVersion = res.configVersion;
        s.periodicSyncMinutes = res.periodicSyncMinutes;
        // S2.8: save and sync now; otherwise the new settings apply from the next run (S3.7).
        const syncQueued = req.syncNow && s.status === 'active';
        if (syncQueued) s.pendingInstant = true;
        publish();
        return { configVersion: res.configVersion, syncQueued };
      }),
    {
      validator: (req) => {
        checkWindow(req);
        requireState(['active', 'paused'], 'configure');
        parseConfig(req.config);
      },
    },
  );

  const statusChange = (
    def: typeof pauseUpdate,
    to: 'active' | 'paused' | 'disabled',
    action: string,
    from: IntegrationStatusName[],
  ) =>
    setHandler(
      def,
      async (req: StatusChangeRequest) =>
        refuseIfExpired(req, action) ??
        exclusive(async () => {
          if (s.status === to) return status();
          // A disable may have gone first while a resume waited its turn.
          requireState(from, action, true);
          // S3.6: a run in progress completes; the queue is dropped. S4.4: disable stops the run too.
          if (to !== 'active') dropRequests(`the integration was ${to} before this request ran`);
          const previous = s.status;
          s.status = to;
          publish();
          if (to === 'disabled' && runScope) {
            // The run ends (cancelled) before the integration is saved as disabled (which deletes the CRM
            // finance copies), so no run writes after it; the status set first keeps another from starting.
            runScope.cancel();
            await condition(() => running === null);
          }
          try {
            const saved = await setIntegrationStatus({
              integrationId,
              status: to,
              actor: actorOf(req.actor),
            });
            s.configVersion = saved.configVersion;
          } catch (err) {
            s.status = previous;
            publish();
            asUpdateFailure(err);
          }
          publish();
          return status();
        }),
      {
        validator: (req: StatusChangeRequest) => {
          checkWindow(req);
          requireState([...from, to], action);
        },
      },
    );
  statusChange(pauseUpdate, 'paused', 'pause', ['active']);
  statusChange(resumeUpdate, 'active', 'resume', ['paused']);
  statusChange(disableUpdate, 'disabled', 'disable', ['active', 'paused']);

  setHandler(
    instantSyncUpdate,
    (req: StatusChangeRequest) => {
      const late = refuseIfExpired(req, 'sync now');
      if (late) return late;
      const coalesced = s.pendingInstant;
      s.pendingInstant = true;
      changes++;
      return {
        queued: !coalesced,
        coalesced,
        // The next run, after the one for the waiting targeted requests if any.
        runNumber: s.runsStarted + 1 + (waitingRequests().length > 0 ? 1 : 0),
        message: coalesced
          ? 'a sync was already requested; this request joins it'
          : running
            ? `queued: starts when ${running.runId} finishes`
            : 'queued: starts now',
      };
    },
    {
      validator: (req: StatusChangeRequest) => {
        checkWindow(req);
        requireState(['active'], 'sync now');
      },
    },
  );

  setHandler(
    targetedRunUpdate,
    async (req: TargetedRunRequest) => {
      const late = refuseIfExpired(req, req.reason);
      if (late) return late;
      const request: TargetedRequest = {
        requestId: nextRequestId++,
        targets: req.targets,
        reason: req.reason,
      };
      targeted.push(request);
      changes++;
      await condition(() => request.result !== undefined || request.error !== undefined);
      targeted.splice(targeted.indexOf(request), 1);
      if (request.error)
        throw ApplicationFailure.create({ message: request.error, type: 'Refused', nonRetryable: true });
      return request.result!;
    },
    {
      validator: (req: TargetedRunRequest) => {
        checkWindow(req);
        requireState(['active'], req.reason);
        if (req.targets.length === 0 || req.targets.every((t) => t.ids.length === 0))
          throw new Error(`${req.reason}: no records given`);
      },
    },
  );

  setHandler(crmChangedSignal, () => {
    s.notifications.received++;
    // Paused or disabled: the change waits for the periodic delta after resume (polling is the truth).
    if (s.status !== 'active') return;
    if (!s.pendingInstant) s.notifications.queuedSync++;
    s.pendingInstant = true;
    changes++;
  });

  async function run(trigger: RunTrigger, targets?: RunTarget[]): Promise<RunSummary> {
    s.runsStarted++;
    const runNumber = s.runsStarted;
    const runId = syncRunWorkflowId(integrationId, runNumber);
    const startedAt = new Date(Date.now()).toISOString();
    running = { runId, trigger, startedAt };
    runsThisExecution++;
    publish();
    let summary: RunSummary;
    try {
      const result: SyncRunResult = await CancellationScope.cancellable(async () => {
        runScope = CancellationScope.current();
        return executeChild(syncRunWorkflow, {
          workflowId: runId,
          args: [
            {
              integrationId,
              runNumber,
              trigger,
              ...(targets && { targets }),
            },
          ],
          cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          staticSummary: `Sync run #${runNumber} (${trigger}) of CRM ${input.crmOrgId} ↔ Books ${input.booksOrgId} (${input.environment})`,
          ...(input.searchAttributes !== false && {
            searchAttributes: {
              CrmOrg: [input.crmOrgId],
              BooksOrg: [input.booksOrgId],
              SyncEnv: [input.environment],
              SyncStatus: ['running'],
            },
          }),
        });
      });
      summary = {
        runId,
        runNumber,
        trigger,
        status: result.status,
        ...(result.reason !== undefined && { reason: result.reason }),
        startedAt,
        finishedAt: new Date(Date.now()).toISOString(),
        failureCount: result.failureCount,
        changed: changedOf(result.counts),
      };
    } catch (err) {
      summary = {
        runId,
        runNumber,
        trigger,
        status: isCancellation(err) ? 'cancelled' : 'failed',
        reason: isCancellation(err) ? 'the integration was disabled' : rootCauseMessage(err),
        startedAt,
        finishedAt: new Date(Date.now()).toISOString(),
        failureCount: 0,
        changed: 0,
      };
    } finally {
      runScope = null;
      running = null;
    }
    s.lastRun = summary;
    return summary;
  }

  // A workflow started for an enable that was refused ends instead of waiting for ever.
  if (s.status === 'new') {
    await condition(() => s.status !== 'new' || (enableFailures > 0 && !busy), ENABLE_WAIT);
    if (s.status === 'new') {
      await condition(allHandlersFinished);
      // An enable that was waiting its turn behind the refused one (or past the wait) may have succeeded.
      if (s.status === 'new') return { status: 'new', reason: 'the integration was never enabled' };
    }
  }
  publish();

  /**
   * Whether to continue as new now: the execution is long (by runs or history — re-evaluated on every
   * activation, so CRM notifications that arrive while paused count too) and no handler is in flight.
   */
  const runsPerExecution = input.runsPerExecution ?? RUNS_PER_EXECUTION;
  const maxHistoryEvents = input.maxHistoryEvents ?? MAX_HISTORY_EVENTS;
  const canContinueAsNew = () => {
    const info = workflowInfo();
    const tooLong =
      info.continueAsNewSuggested ||
      info.historyLength > maxHistoryEvents ||
      runsThisExecution >= runsPerExecution;
    return tooLong && !busy && targeted.length === 0 && allHandlersFinished();
  };

  for (;;) {
    if (!due()) {
      if (canContinueAsNew()) return continueAsNew<typeof integrationWorkflow>({ ...input, carried: s });
      const seen = changes;
      const wake = () => changes !== seen || due() || canContinueAsNew();
      const at = nextPeriodicAt();
      if (at !== null) await condition(wake, Math.max(1, at - Date.now()));
      else await condition(wake);
      continue;
    }
    const waiting = waitingRequests();
    if (waiting.length > 0) {
      for (const r of waiting) r.started = true;
      // Named for what was asked: a reprocess is recorded as such; otherwise the first request's reason.
      const reason = waiting.some((r) => r.reason === 'reprocess') ? 'reprocess' : waiting[0]!.reason;
      const summary = await run(reason, mergeTargets(waiting.flatMap((r) => r.targets)));
      const result: TargetedRunResult = {
        runId: summary.runId,
        status: summary.status,
        ...(summary.reason !== undefined && { reason: summary.reason }),
        failureCount: summary.failureCount,
        changed: summary.changed,
      };
      for (const r of waiting) r.result = result;
    } else {
      const trigger = s.lastFullRunAt === null ? 'initial' : s.pendingInstant ? 'instant' : 'periodic';
      s.pendingInstant = false;
      await run(trigger);
      s.lastFullRunAt = Date.now();
    }
    changes++;
    publish();
  }
}

/** Targets of the same kind and direction as one, with each id once. */
function mergeTargets(targets: RunTarget[]): RunTarget[] {
  const merged = new Map<string, RunTarget>();
  for (const t of targets) {
    const key = `${t.kind}|${t.direction}`;
    const into = merged.get(key) ?? { kind: t.kind, direction: t.direction, ids: [] };
    merged.set(key, { ...into, ids: [...new Set([...into.ids, ...t.ids])] });
  }
  return [...merged.values()];
}

/** Records added or updated over every module and direction. */
function changedOf(counts: SyncRunResult['counts']): number {
  const total = totalRunCounts(counts);
  return total.added + total.updated;
}
