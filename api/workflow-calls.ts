import {
  ServiceError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  WorkflowUpdateStage,
  isGrpcDeadlineError,
  isGrpcServiceError,
  type Client,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { QueryDefinition, UpdateDefinition } from '@temporalio/common';
import type { RequestWindow } from '../workflows/messages';
import { IdSchema, OperationError } from './types';

/**
 * Queries and updates of the integration workflow that never hang: each first checks that a worker polls the
 * task queue (else it refuses at once, "no worker is running"), and each waits a bounded time, saying why when
 * it gives up. An update carries its request window: if no worker takes it before its deadline — when the
 * caller stops waiting — the workflow refuses it on arrival, so a request given up is never applied later.
 */

export interface CallWaits {
  /** How long to look for a polling worker before refusing (one that has just started may not show yet). */
  workerCheckMs: number;
  /**
   * A worker that polled within this long counts as running: an idle worker's long poll lasts about a
   * minute, so its last access is up to that old. (Compared with this machine's clock.)
   */
  workerSeenWithinMs: number;
  /** How long a worker has to take an update; also the update's deadline in the workflow. */
  acceptMs: number;
  /** How long a query may take. */
  queryMs: number;
  /** How long to wait for an accepted change (enable, configure, pause, …) to finish. */
  resultMs: number;
  /** How long to wait for an accepted targeted run (fetch, import, reprocess): it waits for a sync run. */
  runResultMs: number;
}

export const DEFAULT_WAITS: CallWaits = {
  workerCheckMs: 2_000,
  workerSeenWithinMs: 90_000,
  acceptMs: 20_000,
  queryMs: 10_000,
  // The integration's activities have 5 minutes each; disable may also wait for a run to stop.
  resultMs: 5 * 60_000,
  runResultMs: 15 * 60_000,
};

export const NO_WORKER = 'no worker is running: start it with `npm start`';

/** TASK_QUEUE_TYPE_WORKFLOW and TASK_QUEUE_KIND_NORMAL of temporal.api.enums.v1. */
const WORKFLOW_TASK_QUEUE = 1;
const NORMAL_KIND = 1;
/** gRPC codes of a server that will not describe task queues to us: the check is skipped, not failed. */
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;
/** A running worker, once seen, is not looked for again for this long. */
const SEEN_CACHE_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** Whether a call to the server gave up at its deadline (a gRPC deadline, or an update's request window). */
export function timedOut(err: unknown): boolean {
  return (
    err instanceof WorkflowUpdateRPCTimeoutOrCancelledError ||
    isGrpcDeadlineError(err) ||
    (err instanceof ServiceError && isGrpcDeadlineError(err.cause))
  );
}

export interface WorkflowCalls {
  readonly waits: CallWaits;
  /** Refuses (`no_worker`) unless a worker polls the task queue; waits at most `workerCheckMs`. */
  requireWorker(): Promise<void>;
  /** The request window of an update sent now. */
  requestWindow(): Required<RequestWindow>;
  query<R>(handle: WorkflowHandle, def: QueryDefinition<R, []>): Promise<R>;
  update<R, A extends RequestWindow>(
    handle: WorkflowHandle,
    def: UpdateDefinition<R, [A]>,
    request: Omit<A, keyof RequestWindow>,
    what: string,
    opts?: { resultMs?: number },
  ): Promise<R>;
  /**
   * Sends an update by `start` (e.g. update-with-start) with this request window, waiting for a worker to
   * take it and then for its result, each within its bound.
   */
  send<R>(
    what: string,
    window: Required<RequestWindow>,
    start: () => Promise<WorkflowUpdateHandle<R>>,
    opts?: { resultMs?: number },
  ): Promise<R>;
}

export function createWorkflowCalls(deps: {
  temporal: Client;
  taskQueue: string;
  waits?: Partial<CallWaits>;
}): WorkflowCalls {
  const { temporal, taskQueue } = deps;
  const waits: CallWaits = { ...DEFAULT_WAITS, ...deps.waits };
  let seenAt = Number.NEGATIVE_INFINITY;

  /** Whether a worker polled the task queue for workflow tasks within `workerSeenWithinMs`. */
  async function workerPolls(deadline: number): Promise<boolean> {
    const described = await temporal.withDeadline(deadline, () =>
      temporal.workflowService.describeTaskQueue({
        namespace: temporal.options.namespace,
        taskQueue: { name: taskQueue, kind: NORMAL_KIND },
        taskQueueType: WORKFLOW_TASK_QUEUE,
      }),
    );
    const now = Date.now();
    return (described.pollers ?? []).some((p) => {
      const at = p.lastAccessTime;
      if (!at) return false;
      const ms = Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6);
      return now - ms <= waits.workerSeenWithinMs;
    });
  }

  async function requireWorker(): Promise<void> {
    if (Date.now() - seenAt < SEEN_CACHE_MS) return;
    const end = Date.now() + waits.workerCheckMs;
    for (;;) {
      try {
        if (await workerPolls(Math.max(end, Date.now() + 1_000))) {
          seenAt = Date.now();
          return;
        }
      } catch (err) {
        // A server or key that may not describe task queues: the bounded waits below still hold.
        if (isGrpcServiceError(err) && (err.code === PERMISSION_DENIED || err.code === UNIMPLEMENTED)) return;
        if (timedOut(err))
          throw new OperationError(
            'unavailable',
            `Temporal did not answer within ${seconds(waits.workerCheckMs)}: is the server up?`,
          );
        throw err;
      }
      if (Date.now() + 500 > end) break;
      await sleep(500);
    }
    throw new OperationError('no_worker', `${NO_WORKER} (no worker polls the task queue "${taskQueue}")`);
  }

  function requestWindow(): Required<RequestWindow> {
    const now = Date.now();
    return {
      requestedAt: new Date(now).toISOString(),
      deadline: new Date(now + waits.acceptMs).toISOString(),
    };
  }

  async function send<R>(
    what: string,
    window: Required<RequestWindow>,
    start: () => Promise<WorkflowUpdateHandle<R>>,
    opts: { resultMs?: number } = {},
  ): Promise<R> {
    let handle: WorkflowUpdateHandle<R>;
    try {
      handle = await temporal.withDeadline(Date.parse(window.deadline), start);
    } catch (err) {
      if (!timedOut(err)) throw err;
      throw new OperationError(
        'no_worker',
        `no worker took the ${what} request within ${seconds(waits.acceptMs)}, so it was not applied, ` +
          `and it will not be later (its deadline was ${window.deadline}): ${NO_WORKER}`,
      );
    }
    const resultMs = opts.resultMs ?? waits.resultMs;
    try {
      return await temporal.withDeadline(Date.now() + resultMs, () => handle.result());
    } catch (err) {
      if (!timedOut(err)) throw err;
      throw new OperationError(
        'unavailable',
        `the ${what} request was taken but has not finished after ${seconds(resultMs)}; it carries on ` +
          '(see `integrations status` and `integrations audit`)',
      );
    }
  }

  async function query<R>(handle: WorkflowHandle, def: QueryDefinition<R, []>): Promise<R> {
    await requireWorker();
    try {
      return await temporal.withDeadline(Date.now() + waits.queryMs, () => handle.query(def));
    } catch (err) {
      if (!timedOut(err)) throw err;
      throw new OperationError(
        'unavailable',
        `the integration's workflow did not answer within ${seconds(waits.queryMs)}: its worker may ` +
          'have stopped or be overloaded; try again',
      );
    }
  }

  async function update<R, A extends RequestWindow>(
    handle: WorkflowHandle,
    def: UpdateDefinition<R, [A]>,
    request: Omit<A, keyof RequestWindow>,
    what: string,
    opts?: { resultMs?: number },
  ): Promise<R> {
    await requireWorker();
    const window = requestWindow();
    // The request as the workflow gets it: its own fields and the window.
    const arg = { ...request, ...window } as A;
    return send(
      what,
      window,
      () => handle.startUpdate(def, { args: [arg], waitForStage: WorkflowUpdateStage.ACCEPTED }),
      opts,
    );
  }

  return { waits, requireWorker, requestWindow, query, update, send };
}

/** Signals sent at once by the webhook: a notification names up to 1,000 records. */
const WEBHOOK_SIGNALS_AT_ONCE = 16;

/**
 * The records a CRM webhook notification names, each signalled once however often it is named, ids that are
 * not ids left out, WEBHOOK_SIGNALS_AT_ONCE at a time. Returns how many were signalled. The deal and document
 * parts of the webhook share it.
 */
export async function signalEachNamed(
  ids: readonly string[],
  signal: (id: string) => Promise<unknown>,
): Promise<number> {
  const named = [...new Set(ids)].filter((id) => IdSchema.safeParse(id).success);
  for (let i = 0; i < named.length; i += WEBHOOK_SIGNALS_AT_ONCE)
    await Promise.all(named.slice(i, i + WEBHOOK_SIGNALS_AT_ONCE).map(signal));
  return named.length;
}
