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
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ErrorType, rootCauseMessage } from '../domain/errors';
import { integrationWorkflowId, syncRunWorkflowId } from '../domain/ids';
import {
  ENABLE_WAIT,
  changedOf,
  configured,
  crmChangeNoted,
  enableWaitOver,
  enabled,
  expiredReason,
  fullRunChosen,
  initialState,
  integrationIdOf,
  instantSyncQueued,
  isAlreadyIn,
  isExpired,
  isRunDue,
  isWaiting,
  nextExecutionInput,
  noTargetsRefusal,
  nextPeriodicAt,
  otherIntegrationRefusal,
  refusalOf,
  runStarted,
  STATUS_CHANGE_TARGET,
  shouldContinueAsNew,
  statusChanged,
  targetedResultOf,
  targetedRunOf,
  windowProblem,
  type CarriedState,
  type IntegrationRequest,
  type StatusChange,
  type TargetedRequest,
} from '../domain/integration-state';
import { checkIntegrationConfig, type RunTrigger } from '../domain/sync-state-schemas';
import { INTEGRATION_SAVE, SMALL_STEP } from './activity-options';
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
} from './messages';
import { syncRunWorkflow, type SyncRunResult } from './sync-run';

export type { CarriedState };

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

export interface IntegrationWorkflowResult {
  status: IntegrationStatusName;
  reason: string;
}

const { enableIntegration, configureIntegration, setIntegrationStatus } =
  proxyActivities<Activities>(INTEGRATION_SAVE);

/** One audit entry for a refused late request: a single insert, retried until it lands (it is idempotent). */
const { recordExpiredRequest } = proxyActivities<Activities>(SMALL_STEP);

/** A read of the integration and one signal-with-start: seconds at most, retried while Temporal is away. */
const { startDocumentPoller } = proxyActivities<Activities>(SMALL_STEP);

/**
 * Transaction sync switched on by an enable or a configuration (S4.1): its poller is started (or woken, when
 * one runs). Patched: workflows that took such an update before replay without the activity.
 */
async function startPollerIfTransactionSync(integrationId: string, config: unknown): Promise<void> {
  const checked = checkIntegrationConfig(config);
  if (!checked.ok || !checked.config.transactionSync || !patched('start-document-poller')) return;
  await startDocumentPoller({ integrationId });
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
  const integrationId = integrationIdOf(input);
  // Validates the parts (and keeps the id in one format with the client's).
  integrationWorkflowId(input.crmOrgId, input.booksOrgId, input.environment);
  // Replaced, never changed in place, by the rules of domain/integration-state.
  let s: CarriedState = input.carried ?? initialState();
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

  /** Targeted requests waiting for a run (not those whose run is in progress). */
  const waitingRequests = () => targeted.filter(isWaiting);
  const runQueue = () => ({
    runningRunId: running?.runId ?? null,
    targetedWaiting: waitingRequests().length,
  });
  const due = () => isRunDue(s, runQueue(), Date.now());

  function status(): IntegrationStatus {
    const at = nextPeriodicAt(s);
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
    const at = nextPeriodicAt(s);
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
   * Refuses a request the current state does not allow. Validators throw a plain Error (the update is
   * rejected before it enters history); a handler re-checking after waiting its turn (`inHandler`) must throw
   * an ApplicationFailure, since any other error would fail the workflow task instead of the update.
   */
  const requireState = (request: IntegrationRequest, inHandler = false) => {
    const why = refusalOf(request, s.status);
    if (why === null) return;
    throw inHandler ? ApplicationFailure.nonRetryable(why, ErrorType.Conflict) : new Error(why);
  };

  /** Validators refuse a request window that is not two ISO times, and a request the state does not allow. */
  const validateRequest = (req: RequestWindow, request: IntegrationRequest): void => {
    refuseInValidator(windowProblem(req));
    requireState(request);
  };

  const parseConfig = (config: unknown): void => {
    const checked = checkIntegrationConfig(config);
    if (!checked.ok) throw new Error(`invalid configuration: ${checked.issues.join('; ')}`);
  };

  /**
   * Refuses a late request instead of applying it long after it was given up: audits why, then fails the
   * update with the reason (no caller waits for it, but the Temporal UI shows it). Decided before the
   * handler waits its turn, and before any state changes.
   */
  function refuseIfExpired(
    req: RequestWindow & { actor?: Actor },
    action: IntegrationRequest,
    onRefused?: () => void,
  ): Promise<never> | undefined {
    if (!isExpired(req, Date.now())) return undefined;
    onRefused?.();
    return refuseExpired(req, action);
  }

  async function refuseExpired(req: RequestWindow & { actor?: Actor }, action: string): Promise<never> {
    const reason = expiredReason(action, req, Date.now());
    await recordExpiredRequest({
      integrationId,
      action,
      actor: actorOf(req.actor),
      reason,
      ...(currentUpdateInfo() && { requestId: currentUpdateInfo()!.id }),
    });
    throw ApplicationFailure.nonRetryable(reason, ErrorType.RequestExpired);
  }

  /** An activity's refusal as the update's failure, with its message and type. */
  const asUpdateFailure = (err: unknown): never => {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)
      throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type ?? ErrorType.Refused);
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
        requireState('enable', true);
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
          s = enabled(s, res, req.syncNow, Date.now());
          publish();
          await startPollerIfTransactionSync(integrationId, req.config);
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
        validateRequest(req, 'enable');
        refuseInValidator(otherIntegrationRefusal(input, req));
        parseConfig(req.config);
      },
    },
  );

  setHandler(
    configureUpdate,
    async (req) =>
      refuseIfExpired(req, 'configure') ??
      exclusive(async () => {
        requireState('configure', true);
        const res = await configureIntegration({
          integrationId,
          config: req.config,
          actor: actorOf(req.actor),
        }).catch(asUpdateFailure);
        const after = configured(s, res, req.syncNow);
        s = after.state;
        publish();
        await startPollerIfTransactionSync(integrationId, req.config);
        return { configVersion: res.configVersion, syncQueued: after.syncQueued };
      }),
    {
      validator: (req) => {
        validateRequest(req, 'configure');
        parseConfig(req.config);
      },
    },
  );

  const statusChange = (def: typeof pauseUpdate, action: StatusChange) => {
    const to = STATUS_CHANGE_TARGET[action];
    setHandler(
      def,
      async (req: StatusChangeRequest) =>
        refuseIfExpired(req, action) ??
        exclusive(async () => {
          if (isAlreadyIn(action, s.status)) return status();
          // A disable may have gone first while a resume waited its turn.
          requireState(action, true);
          const previous = s.status;
          const change = statusChanged(s, to);
          s = change.state;
          // S3.6: a run in progress completes; the queue is dropped. S4.4: disable stops the run too.
          if (change.dropped !== null) for (const r of waitingRequests()) r.error = change.dropped;
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
            s = { ...s, configVersion: saved.configVersion };
          } catch (err) {
            s = { ...s, status: previous };
            publish();
            asUpdateFailure(err);
          }
          publish();
          return status();
        }),
      { validator: (req: StatusChangeRequest) => validateRequest(req, action) },
    );
  };
  statusChange(pauseUpdate, 'pause');
  statusChange(resumeUpdate, 'resume');
  statusChange(disableUpdate, 'disable');

  setHandler(
    instantSyncUpdate,
    (req: StatusChangeRequest) => {
      const late = refuseIfExpired(req, 'sync now');
      if (late) return late;
      const queued = instantSyncQueued(s, runQueue());
      s = queued.state;
      changes++;
      return queued.answer;
    },
    { validator: (req: StatusChangeRequest) => validateRequest(req, 'sync now') },
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
      if (request.error) throw ApplicationFailure.nonRetryable(request.error, ErrorType.Refused);
      return request.result!;
    },
    {
      validator: (req: TargetedRunRequest) => {
        validateRequest(req, req.reason);
        refuseInValidator(noTargetsRefusal(req.reason, req.targets));
      },
    },
  );

  setHandler(crmChangedSignal, () => {
    const noted = crmChangeNoted(s);
    s = noted.state;
    if (noted.queues) changes++;
  });

  async function run(trigger: RunTrigger, targets?: RunTarget[]): Promise<RunSummary> {
    const started = runStarted(s);
    s = started.state;
    const runNumber = started.runNumber;
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
    s = { ...s, lastRun: summary };
    return summary;
  }

  // A workflow started for an enable that was refused ends instead of waiting for ever.
  if (s.status === 'new') {
    await condition(() => enableWaitOver(s, enableFailures, busy), ENABLE_WAIT);
    if (s.status === 'new') {
      await condition(allHandlersFinished);
      // An enable that was waiting its turn behind the refused one (or past the wait) may have succeeded.
      if (s.status === 'new') return { status: 'new', reason: 'the integration was never enabled' };
    }
  }
  publish();

  /** Re-evaluated on every activation, so CRM notifications that arrive while paused count too. */
  const canContinueAsNew = () => {
    const info = workflowInfo();
    return shouldContinueAsNew(
      {
        continueAsNewSuggested: info.continueAsNewSuggested,
        historyLength: info.historyLength,
        runsThisExecution,
        runsPerExecution: input.runsPerExecution,
        maxHistoryEvents: input.maxHistoryEvents,
      },
      { busy, targetedRequests: targeted.length, allHandlersFinished: allHandlersFinished() },
    );
  };

  for (;;) {
    if (!due()) {
      if (canContinueAsNew()) return continueAsNew<typeof integrationWorkflow>(nextExecutionInput(input, s));
      const seen = changes;
      const wake = () => changes !== seen || due() || canContinueAsNew();
      const at = nextPeriodicAt(s);
      if (at !== null) await condition(wake, Math.max(1, at - Date.now()));
      else await condition(wake);
      continue;
    }
    const waiting = waitingRequests();
    if (waiting.length > 0) {
      for (const r of waiting) r.started = true;
      const next = targetedRunOf(waiting);
      const summary = await run(next.trigger, next.targets);
      const result = targetedResultOf(summary);
      for (const r of waiting) r.result = result;
    } else {
      const full = fullRunChosen(s);
      s = full.state;
      await run(full.trigger);
      s = { ...s, lastFullRunAt: Date.now() };
    }
    changes++;
    publish();
  }
}

/** A validator's refusal: a plain Error, so the update is rejected before it enters history. */
function refuseInValidator(why: string | null): void {
  if (why !== null) throw new Error(why);
}
