import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../activities';
import type {
  ConfigureIntegrationInput,
  EnableIntegrationInput,
  SetIntegrationStatusInput,
} from '../../activities/integration';
import type { FinishSyncRunInput, PrepareSyncRunInput } from '../../activities/sync';
import type { RunCountsByModule } from '../../domain/sync-state-schemas';
import { integrationWorkflowId } from '../../domain/ids';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { integrationWorkflow } from '../../workflows';
import type { IntegrationWorkflowInput } from '../../workflows/integration';
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
  type EnableRequest,
  type IntegrationStatus,
} from '../../workflows/messages';
import { unique, useTimeSkippingEnv } from '../helpers';

// The time-skipping test server refuses custom search attributes it does not know (the workflow task fails
// with "BadSearchAttributes: search attribute SyncStatus is not defined" and is retried for ever), but it
// accepts OperatorService.addSearchAttributes. So they are registered here as on the dev server, and the
// workflows run with their default `searchAttributes: true` — except in one test that turns them off.
const suite = useTimeSkippingEnv(
  async (env) => {
    const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
    });
  },
  { perTest: true },
);

type FakeActivities = Pick<
  Activities,
  | 'enableIntegration'
  | 'configureIntegration'
  | 'setIntegrationStatus'
  | 'prepareSyncRun'
  | 'syncStep'
  | 'finishSyncRun'
>;

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const BOOKS_ORG = 'books-1';
const ENVIRONMENT = 'production';

const config = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'both_ways', duplicatePolicy: 'skip' },
  items: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
};

/**
 * Fake activities over a shared "integration document": a config version that enable and configure bump
 * (prepareSyncRun records the version it sees, as the real one snapshots the config at the run's start),
 * and sync steps that can be held open so a run is "in progress" until the test lets it go. Times are the
 * test server's (skipped) clock, from the activity's scheduled time.
 */
class Fakes {
  configVersion = 0;
  periodicSyncMinutes = 120;
  enables: EnableIntegrationInput[] = [];
  configures: ConfigureIntegrationInput[] = [];
  statuses: SetIntegrationStatusInput[] = [];
  prepared: (PrepareSyncRunInput & { configVersion: number; at: number })[] = [];
  finished: FinishSyncRunInput[] = [];
  /** While true, each sync step waits until `release()`. */
  holdSteps = false;
  heldSteps: { runId: string; gate: Deferred }[] = [];
  /** Runs whose held sync step saw its cancellation. */
  cancelledSteps: string[] = [];
  /** Runs with a held sync step that has not returned. */
  private holding = new Set<string>();
  /** Refusals for the next enables, one per call. */
  enableRefusals: Error[] = [];
  /** While set, enableIntegration waits on it. */
  enableGate: Deferred | null = null;
  /** While set, configureIntegration waits on it. */
  configureGate: Deferred | null = null;

  /** Lets every held sync step finish (call before the worker shuts down: it waits for its activities). */
  release(): void {
    for (const s of this.heldSteps.splice(0)) s.gate.resolve();
  }

  triggers(): string[] {
    return this.prepared.map((p) => p.trigger);
  }

  /** Fake activities running now. */
  inFlight = 0;

  activities(): FakeActivities {
    const fakes = this.fakeActivities();
    // Every fake counted while it runs, so a test can let its activities end before it ends the workflow.
    const counted = Object.entries(fakes).map(([name, fn]) => [
      name,
      async (...args: unknown[]) => {
        this.inFlight++;
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } finally {
          this.inFlight--;
        }
      },
    ]);
    return Object.fromEntries(counted) as FakeActivities;
  }

  private fakeActivities(): FakeActivities {
    return {
      enableIntegration: async (input) => {
        this.enables.push(input);
        if (this.enableGate) await this.enableGate.promise;
        const refusal = this.enableRefusals.shift();
        if (refusal) throw refusal;
        this.configVersion++;
        this.periodicSyncMinutes = periodicOf(input.config);
        return {
          direction: 'two_way',
          configVersion: this.configVersion,
          periodicSyncMinutes: this.periodicSyncMinutes,
        };
      },
      configureIntegration: async (input) => {
        this.configures.push(input);
        if (this.configureGate) await this.configureGate.promise;
        this.configVersion++;
        this.periodicSyncMinutes = periodicOf(input.config);
        return {
          direction: 'two_way',
          configVersion: this.configVersion,
          periodicSyncMinutes: this.periodicSyncMinutes,
        };
      },
      setIntegrationStatus: async (input) => {
        this.statuses.push(input);
        return { financeRecordsDeleted: 0, configVersion: this.configVersion };
      },
      prepareSyncRun: async (input) => {
        const at = Context.current().info.currentAttemptScheduledTimestampMs;
        this.prepared.push({ ...input, configVersion: this.configVersion, at });
        return { ok: true, steps: [{ kind: 'account', direction: 'crm_to_books' }] };
      },
      syncStep: async (input) => {
        if (this.holdSteps) {
          // Held until released, heartbeating so that a cancellation (disable) reaches it.
          const ctx = Context.current();
          const gate = deferred();
          this.heldSteps.push({ runId: input.runId, gate });
          this.holding.add(input.runId);
          const beat = setInterval(() => ctx.heartbeat(), 50);
          try {
            await Promise.race([gate.promise, ctx.cancelled]);
          } catch (err) {
            this.cancelledSteps.push(input.runId);
            throw err;
          } finally {
            clearInterval(beat);
            this.holding.delete(input.runId);
          }
        }
        return {
          next: null,
          counts: { added: 1, matched: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 },
          records: 1,
        };
      },
      finishSyncRun: async (input) => {
        // A cancelled run's closing write comes after its sync step has stopped. (The workflow does not
        // wait for that — the step is cancelled with TRY_CANCEL — but the time-skipping test server leaks
        // a time-skipping lock for an activity still open when its workflow closes, sdk-java#1138, and
        // env.sleep then hangs.)
        if (input.status === 'failed' && this.holding.has(input.runId)) await activityCancelled(input.runId);
        this.finished.push(input);
        const counts: RunCountsByModule =
          input.status === 'completed'
            ? {
                account: {
                  crm_to_books: {
                    added: 1,
                    matched: 0,
                    updated: 0,
                    unchanged: 0,
                    skipped: 0,
                    failed: 0,
                    deleted: 0,
                  },
                },
              }
            : {};
        return { status: input.status, counts, failureCount: 0 };
      },
    };
  }
}

function periodicOf(cfg: unknown): number {
  const minutes = (cfg as { periodicSyncMinutes?: number }).periodicSyncMinutes;
  return minutes ?? 120;
}

interface Ctx {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof integrationWorkflow>;
  fakes: Fakes;
  crmOrgId: string;
  integrationId: string;
  enableRequest: (overrides?: Partial<EnableRequest>) => EnableRequest;
  status: () => Promise<IntegrationStatus>;
  /** Polls the status query (real time) until `ok`; fails with the last status after a few seconds. */
  waitFor: (ok: (s: IntegrationStatus) => boolean, what: string) => Promise<IntegrationStatus>;
  /** Waits until run n has finished and nothing is running. */
  settled: (runs: number) => Promise<IntegrationStatus>;
  runId: (n: number) => string;
}

/**
 * Runs `body` against a fresh integration workflow on its own task queue and worker with fake activities.
 * Afterwards it lets any held sync step go (the worker waits for its activities at shutdown) and checks
 * that no workflow task failed in any execution (a nondeterminism or a deadlock would show up there).
 */
async function withIntegration(
  body: (ctx: Ctx) => Promise<void>,
  options: { input?: Partial<IntegrationWorkflowInput>; fakes?: Fakes } = {},
): Promise<void> {
  const taskQueue = unique('tq');
  const fakes = options.fakes ?? new Fakes();
  const crmOrgId = unique('crm');
  const integrationId = `${crmOrgId}/${BOOKS_ORG}/${ENVIRONMENT}`;
  const workflowId = integrationWorkflowId(crmOrgId, BOOKS_ORG, ENVIRONMENT);
  const worker = await suite.worker({
    taskQueue,
    activities: fakes.activities(),
    // Heartbeats go out at once, so a held sync step learns of its cancellation within moments.
    maxHeartbeatThrottleInterval: '50ms',
  });
  const status = () => handle.query(integrationStatusQuery);
  const waitFor = async (ok: (s: IntegrationStatus) => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    let last = await status();
    while (!ok(last)) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; status: ${JSON.stringify(last, null, 2)}`);
      await new Promise((r) => setTimeout(r, 50));
      last = await status();
    }
    return last;
  };
  let handle!: WorkflowHandleWithFirstExecutionRunId<typeof integrationWorkflow>;
  await worker.runUntil(async () => {
    handle = await suite.env.client.workflow.start(integrationWorkflow, {
      taskQueue,
      workflowId,
      args: [{ crmOrgId, booksOrgId: BOOKS_ORG, environment: ENVIRONMENT, ...options.input }],
    });
    try {
      await body({
        handle,
        fakes,
        crmOrgId,
        integrationId,
        enableRequest: (overrides) => ({
          crmOrgId,
          booksOrgId: BOOKS_ORG,
          environment: ENVIRONMENT,
          config,
          syncNow: true,
          ...overrides,
        }),
        status,
        waitFor,
        settled: (runs) =>
          waitFor(
            (s) => s.runsStarted === runs && s.running === null && s.lastRun?.runNumber === runs,
            `run ${runs} to finish`,
          ),
        runId: (n) => `sync-run/${integrationId}/${n}`,
      });
    } finally {
      fakes.holdSteps = false;
      fakes.release();
      fakes.configureGate?.resolve();
      fakes.enableGate?.resolve();
      // Let the run in progress and every activity end before the workflow is terminated: an activity still
      // open when its workflow closes leaks the test server's time-skipping lock (sdk-java#1138), and the next
      // test's env.sleep then waits in real time (CI once hung on it).
      await quiesce(handle, fakes);
      // The chain's current execution, not the first: after a continue-as-new, terminating the handle from
      // start() (bound to the first run) would fail and leave the workflow running on the shared server, its
      // timers and activities holding the time-skipping lock the next test needs.
      await suite.env.client.workflow
        .getHandle(workflowId)
        .terminate('test over')
        .catch(() => undefined);
    }
  });
  await expectNoWorkflowTaskFailures(handle);
}

/** Waits (a few seconds at most) until the integration runs nothing and no fake activity is running. */
async function quiesce(
  handle: WorkflowHandleWithFirstExecutionRunId<typeof integrationWorkflow>,
  fakes: Fakes,
): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const running = await handle
      .query(integrationStatusQuery)
      .then((s) => s.running !== null)
      .catch(() => false); // closed, or never started: nothing of it runs
    if (!running && fakes.inFlight === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function expectNoWorkflowTaskFailures(handle: WorkflowHandleWithFirstExecutionRunId): Promise<void> {
  let runId: string | undefined = handle.firstExecutionRunId;
  const failures: string[] = [];
  while (runId) {
    const events = await history(handle.workflowId, runId);
    for (const e of events) {
      const failure = e.workflowTaskFailedEventAttributes?.failure;
      if (failure) failures.push(failure.message ?? 'workflow task failed');
    }
    runId =
      events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
      undefined;
  }
  expect(failures).toEqual([]);
}

/** Lets the worker process whatever is due (real time; the test server's clock does not jump). */
const settle = (ms = 500) => new Promise((r) => setTimeout(r, ms));

/** The failure of an update (rejected by its validator or failed by its handler) as its message. */
async function updateFailure(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => {
      throw new Error('the update succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  return cause instanceof Error ? cause.message : String(cause);
}

const HOUR = 3_600_000;

describe('integrationWorkflow (time-skipping)', () => {
  it('runs the periodic sync every 2 hours after the initial sync, not while paused, and catches up on resume', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, status, settled }) => {
      const enabled = await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      expect(enabled).toMatchObject({
        status: 'active',
        configVersion: 1,
        reEnabled: false,
        syncQueued: true,
      });
      const first = await settled(1);
      expect(first.lastRun).toMatchObject({ trigger: 'initial', status: 'completed', changed: 1 });
      expect(Date.parse(first.nextPeriodicSyncAt!) - Date.parse(first.lastRun!.finishedAt!)).toBe(2 * HOUR);

      // Just short of 2 hours: nothing yet.
      await suite.env.sleep('119m');
      await settle();
      expect((await status()).runsStarted).toBe(1);
      // Past 2 hours: the periodic run.
      await suite.env.sleep('2m');
      const second = await settled(2);
      expect(second.lastRun).toMatchObject({ trigger: 'periodic', status: 'completed' });
      await suite.env.sleep('2h');
      await settled(3);
      expect(fakes.triggers()).toEqual(['initial', 'periodic', 'periodic']);
      // Each periodic run started 2 hours (and a little) after the previous one.
      for (const i of [1, 2]) {
        const gap = fakes.prepared[i]!.at - fakes.prepared[i - 1]!.at;
        expect(gap).toBeGreaterThanOrEqual(2 * HOUR);
        expect(gap).toBeLessThan(2 * HOUR + 5 * 60_000);
      }

      // Paused: 6 hours pass with no run.
      const paused = await handle.executeUpdate(pauseUpdate, { args: [{}] });
      expect(paused).toMatchObject({ status: 'paused', nextPeriodicSyncAt: null });
      await suite.env.sleep('6h');
      await settle();
      expect(await status()).toMatchObject({ status: 'paused', runsStarted: 3, running: null });
      expect(fakes.prepared).toHaveLength(3);

      // Resumed: the overdue periodic sync runs at once, then every 2 hours again.
      const before = Number(await suite.env.currentTimeMs());
      await handle.executeUpdate(resumeUpdate, { args: [{}] });
      const caughtUp = await settled(4);
      expect(caughtUp).toMatchObject({ status: 'active', lastRun: { trigger: 'periodic' } });
      expect(fakes.prepared[3]!.at - before).toBeLessThan(60_000);
      await suite.env.sleep('121m');
      await settled(5);
      expect(fakes.triggers()).toEqual(['initial', 'periodic', 'periodic', 'periodic', 'periodic']);
      expect(fakes.statuses.map((s) => s.status)).toEqual(['paused', 'active']);
    });
  });

  it('lets a run in progress finish when paused, and starts no other until resumed', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, status, waitFor, settled, runId }) => {
      fakes.holdSteps = true;
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 1 to be syncing');

      const paused = await handle.executeUpdate(pauseUpdate, { args: [{}] });
      expect(paused).toMatchObject({ status: 'paused', running: { runId: runId(1), trigger: 'initial' } });
      await settle();
      // Still running: pausing does not cancel it.
      expect((await status()).running?.runId).toBe(runId(1));

      fakes.holdSteps = false;
      fakes.release();
      const done = await settled(1);
      expect(done).toMatchObject({ status: 'paused', lastRun: { runId: runId(1), status: 'completed' } });
      expect(fakes.finished).toEqual([{ runId: runId(1), status: 'completed' }]);

      // Well past the 2-hour mark: still nothing while paused.
      await suite.env.sleep('4h');
      await settle();
      expect(await status()).toMatchObject({ status: 'paused', runsStarted: 1, running: null });
      expect(fakes.prepared).toHaveLength(1);

      await handle.executeUpdate(resumeUpdate, { args: [{}] });
      expect((await settled(2)).lastRun?.trigger).toBe('periodic');
    });
  });

  it('refuses an instant sync while paused, and coalesces instant syncs asked for during a run', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, status, waitFor, settled, runId }) => {
      // "Sync later": nothing runs until asked.
      const enabled = await handle.executeUpdate(enableUpdate, {
        args: [enableRequest({ syncNow: false })],
      });
      expect(enabled.syncQueued).toBe(false);
      await settle();
      expect((await status()).runsStarted).toBe(0);

      const now = await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
      expect(now).toMatchObject({
        queued: true,
        coalesced: false,
        runNumber: 1,
        message: 'queued: starts now',
      });
      await settled(1);

      fakes.holdSteps = true;
      await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
      await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 2 to be syncing');
      const asks = [];
      for (let i = 0; i < 3; i++) asks.push(await handle.executeUpdate(instantSyncUpdate, { args: [{}] }));
      expect(asks).toEqual([
        {
          queued: true,
          coalesced: false,
          runNumber: 3,
          message: `queued: starts when ${runId(2)} finishes`,
        },
        { queued: false, coalesced: true, runNumber: 3, message: expect.stringContaining('joins it') },
        { queued: false, coalesced: true, runNumber: 3, message: expect.stringContaining('joins it') },
      ]);
      expect((await status()).pendingInstantSync).toBe(true);

      fakes.holdSteps = false;
      fakes.release();
      await settled(3);
      await settle();
      // Three requests, one run.
      expect(await status()).toMatchObject({ runsStarted: 3, pendingInstantSync: false });
      expect(fakes.triggers()).toEqual(['initial', 'instant', 'instant']);

      await handle.executeUpdate(pauseUpdate, { args: [{}] });
      const message = await updateFailure(handle.executeUpdate(instantSyncUpdate, { args: [{}] }));
      expect(message).toMatch(/paused/);
      expect(message).toBe('cannot sync now: the integration is paused; resume it first');
      await settle();
      expect(await status()).toMatchObject({ runsStarted: 3, pendingInstantSync: false });
    });
  });

  it('applies a configuration change from the next run; a run in progress keeps its version', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, status, waitFor, settled }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      await settled(1);

      fakes.holdSteps = true;
      await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
      await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 2 to be syncing');
      const configured = await handle.executeUpdate(configureUpdate, {
        args: [{ config: { ...config, periodicSyncMinutes: 30 }, syncNow: false }],
      });
      expect(configured).toEqual({ configVersion: 2, syncQueued: false });
      expect(await status()).toMatchObject({ configVersion: 2, periodicSyncMinutes: 30 });
      fakes.holdSteps = false;
      fakes.release();
      await settled(2);
      await settle();
      // The configure queued nothing, and run 2 ran on the version it started with.
      expect((await status()).runsStarted).toBe(2);
      expect(fakes.prepared.map((p) => p.configVersion)).toEqual([1, 1]);

      // The next run — the periodic one, now every 30 minutes — uses version 2.
      await suite.env.sleep('31m');
      const third = await settled(3);
      expect(third.lastRun?.trigger).toBe('periodic');
      expect(fakes.prepared[2]!.configVersion).toBe(2);

      // "Save and sync now" runs at once with the new version.
      const now = await handle.executeUpdate(configureUpdate, { args: [{ config, syncNow: true }] });
      expect(now).toEqual({ configVersion: 3, syncQueued: true });
      const fourth = await settled(4);
      expect(fourth).toMatchObject({
        configVersion: 3,
        periodicSyncMinutes: 120,
        lastRun: { trigger: 'instant' },
      });
      expect(fakes.prepared.map((p) => p.configVersion)).toEqual([1, 1, 2, 3]);

      // An invalid configuration is refused by the validator: the activity never sees it.
      const message = await updateFailure(
        handle.executeUpdate(configureUpdate, {
          args: [{ config: { ...config, periodicSyncMinutes: 1 }, syncNow: false }],
        }),
      );
      expect(message).toMatch(/^invalid configuration: periodicSyncMinutes: /);
      expect(fakes.configures).toHaveLength(2);
    });
  });

  it('continues as new after its runs per execution, keeping its state and the requests made just before', async () => {
    await withIntegration(
      async ({ handle, enableRequest, fakes, status, waitFor, settled }) => {
        await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
        await settled(1);

        // Run 2 is in progress when a configure (its activity held) and an instant sync come in.
        fakes.holdSteps = true;
        await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
        await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 2 to be syncing');
        fakes.configureGate = deferred();
        const configure = await handle.startUpdate(configureUpdate, {
          args: [{ config: { ...config, periodicSyncMinutes: 60 }, syncNow: false }],
          waitForStage: 'ACCEPTED',
        });
        const instant = await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
        expect(instant).toMatchObject({ queued: true, runNumber: 3 });
        fakes.holdSteps = false;
        fakes.release();
        // Run 2 ends (the limit of 2 runs is reached) but an instant sync is pending: it runs first.
        await settled(3);
        // The configure is still in flight: the execution must wait for it before continuing as new (and
        // not spin: a busy loop here would be a deadlock, past the SDK's 2-second limit).
        await settle(3_000);
        expect((await handle.describe()).runId).toBe(handle.firstExecutionRunId);
        fakes.configureGate.resolve();
        expect(await configure.result()).toEqual({ configVersion: 2, syncQueued: false });

        // Now it continues as new.
        await waitForNewExecution(handle);
        const after = await status();
        expect(after).toMatchObject({
          status: 'active',
          runsStarted: 3,
          configVersion: 2,
          periodicSyncMinutes: 60,
          running: null,
          pendingInstantSync: false,
          lastRun: { runNumber: 3, trigger: 'instant', status: 'completed' },
        });
        expect(fakes.triggers()).toEqual(['initial', 'instant', 'instant']);

        // The new execution keeps the schedule and the numbering.
        await suite.env.sleep('61m');
        const next = await settled(4);
        expect(next.lastRun).toMatchObject({ trigger: 'periodic', runNumber: 4 });
        expect(fakes.prepared[3]).toMatchObject({ runNumber: 4, configVersion: 2 });
      },
      { input: { runsPerExecution: 2 } },
    );
  });

  it('starts from the carried state: runs a carried instant sync, keeps numbering, schedule and counters', async () => {
    // An execution continued from one at run 99 with an instant sync pending and the last full run an hour ago.
    const serverNow = Number(await suite.env.currentTimeMs());
    const fakes = new Fakes();
    fakes.configVersion = 7;
    const lastRun = {
      runId: 'sync-run/x/y/production/99',
      runNumber: 99,
      trigger: 'periodic',
      status: 'completed',
      startedAt: new Date(serverNow - HOUR - 60_000).toISOString(),
      finishedAt: new Date(serverNow - HOUR).toISOString(),
      failureCount: 0,
      changed: 3,
    };
    await withIntegration(
      async ({ handle, status, settled, runId }) => {
        const run100 = await settled(100);
        expect(run100.lastRun).toMatchObject({ runId: runId(100), trigger: 'instant', status: 'completed' });
        expect(fakes.prepared).toEqual([
          expect.objectContaining({ runNumber: 100, trigger: 'instant', configVersion: 7 }),
        ]);
        // One run is this execution's limit: it continues as new, and the next has the same state.
        await waitForNewExecution(handle);
        const after = await status();
        expect(after).toMatchObject({
          status: 'active',
          configVersion: 7,
          runsStarted: 100,
          pendingInstantSync: false,
          notifications: { received: 5, queuedSync: 2 },
          lastRun: { runNumber: 100 },
        });
        expect(after).toEqual(run100);
        // The periodic run after a continue-as-new is asserted by the test above. Here a sleep right after this
        // execution continued as new stalled the test server's clock now and then (the test timed out in CI
        // runs on an idle machine), so this test stops at the carried state.
      },
      {
        fakes,
        input: {
          runsPerExecution: 1,
          carried: {
            status: 'active',
            direction: 'two_way',
            configVersion: 7,
            periodicSyncMinutes: 120,
            runsStarted: 99,
            lastRun,
            lastFullRunAt: serverNow - HOUR,
            scheduleFrom: null,
            pendingInstant: true,
            notifications: { received: 5, queuedSync: 2 },
          },
        },
      },
    );
  });

  it('continues as new when its history grows long while paused, keeping the notification counts', async () => {
    const maxHistoryEvents = 80;
    await withIntegration(
      async ({ handle, enableRequest, status }) => {
        await handle.executeUpdate(enableUpdate, { args: [enableRequest({ syncNow: false })] });
        await handle.executeUpdate(pauseUpdate, { args: [{}] });
        // CRM notifications while paused queue nothing, but each adds to the history. One at a time, each
        // once its workflow task has completed, so none races the hand-over.
        let sent = 0;
        for (;;) {
          const before = await history(handle.workflowId, handle.firstExecutionRunId);
          if (before.at(-1)?.workflowExecutionContinuedAsNewEventAttributes) break;
          if (sent >= 50) throw new Error(`no continue-as-new after ${sent} notifications`);
          await handle.signal(crmChangedSignal, { module: 'Accounts', operation: 'update', ids: ['a1'] });
          sent++;
          await waitUntilAsync(async () => {
            const events = await history(handle.workflowId, handle.firstExecutionRunId);
            const last = events.at(-1);
            return (
              events.length > before.length &&
              (last?.workflowTaskCompletedEventAttributes != null ||
                last?.workflowExecutionContinuedAsNewEventAttributes != null)
            );
          }, `notification ${sent} to be handled`);
        }
        const first = await history(handle.workflowId, handle.firstExecutionRunId);
        // It handed over at the first idle moment past the limit.
        expect(first.length).toBeGreaterThan(maxHistoryEvents);
        expect(first.length).toBeLessThan(maxHistoryEvents + 10);
        expect(await status()).toMatchObject({
          status: 'paused',
          runsStarted: 0,
          pendingInstantSync: false,
          notifications: { received: sent, queuedSync: 0 },
        });
      },
      { input: { maxHistoryEvents } },
    );
  });

  it('disable cancels the run in progress and runs nothing until enabled again', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, status, waitFor, settled, runId }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      await settled(1);

      fakes.holdSteps = true;
      await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
      await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 2 to be syncing');
      // The update answers once the run has stopped.
      const disabled = await handle.executeUpdate(disableUpdate, { args: [{}] });
      expect(disabled).toMatchObject({
        status: 'disabled',
        running: null,
        nextPeriodicSyncAt: null,
        lastRun: { runId: runId(2), status: 'cancelled', reason: 'the integration was disabled' },
      });
      // The sync step was cancelled, and the run's history entry closed as failed with the reason.
      expect(fakes.cancelledSteps).toEqual([runId(2)]);
      expect(fakes.finished).toContainEqual({
        runId: runId(2),
        status: 'failed',
        reason: 'cancelled: the integration was disabled',
      });
      expect((await suite.env.client.workflow.getHandle(runId(2)).describe()).status.name).toBe('CANCELLED');
      expect(fakes.statuses.map((s) => s.status)).toEqual(['disabled']);
      fakes.holdSteps = false;

      // Disabled: nothing runs, and a sync cannot be asked for.
      await suite.env.sleep('6h');
      await settle();
      expect(await status()).toMatchObject({ status: 'disabled', runsStarted: 2, running: null });
      expect(fakes.prepared).toHaveLength(2);
      expect(await updateFailure(handle.executeUpdate(instantSyncUpdate, { args: [{}] }))).toBe(
        'cannot sync now: the integration is disabled; enable it again first',
      );

      // Enabled again: the activity sees a second enable, and runs resume.
      const again = await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      expect(again).toEqual({
        status: 'active',
        direction: 'two_way',
        configVersion: 2,
        reEnabled: true,
        syncQueued: true,
      });
      expect(fakes.enables).toHaveLength(2);
      const third = await settled(3);
      expect(third).toMatchObject({ status: 'active', lastRun: { trigger: 'instant', status: 'completed' } });
      await suite.env.sleep('121m');
      expect((await settled(4)).lastRun?.trigger).toBe('periodic');
    });
  });

  it('fails an enable the activity refuses with its message, and then ends', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, crmOrgId }) => {
      // A configuration the validator refuses never reaches the activity, and the workflow keeps waiting.
      const invalid = await updateFailure(
        handle.executeUpdate(enableUpdate, {
          args: [enableRequest({ config: { ...config, items: { extent: 'sideways' } } })],
        }),
      );
      expect(invalid).toMatch(/^invalid configuration: items\.extent: .*items\.duplicatePolicy: /);
      expect(fakes.enables).toHaveLength(0);

      fakes.enableRefusals = [
        ApplicationFailure.nonRetryable(`CRM org ${crmOrgId} is not known`, 'NotFound'),
      ];
      const refusal = await handle
        .executeUpdate(enableUpdate, { args: [enableRequest()] })
        .catch((e: unknown) => e);
      expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
      const cause = (refusal as WorkflowUpdateFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause).toMatchObject({ message: `CRM org ${crmOrgId} is not known`, type: 'NotFound' });
      expect(fakes.enables).toHaveLength(1);
      expect(await handle.result()).toEqual({
        status: 'new',
        reason: 'the integration was never enabled',
      });
      expect(fakes.prepared).toHaveLength(0);
    });
  });

  it('does not end when an enable queued behind a refused one succeeds', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, settled }) => {
      fakes.enableGate = deferred();
      fakes.enableRefusals = [ApplicationFailure.nonRetryable('Books org books-1 is not known', 'NotFound')];
      const refused = await handle.startUpdate(enableUpdate, {
        args: [enableRequest()],
        waitForStage: 'ACCEPTED',
      });
      const second = await handle.startUpdate(enableUpdate, {
        args: [enableRequest()],
        waitForStage: 'ACCEPTED',
      });
      await waitUntil(() => fakes.enables.length === 1, 'the first enable to reach the activity');
      fakes.enableGate.resolve();
      expect(await updateFailure(refused.result())).toBe('Books org books-1 is not known');
      expect(await second.result()).toMatchObject({ status: 'active', syncQueued: true });
      expect(fakes.enables).toHaveLength(2);
      expect((await settled(1)).status).toBe('active');
      expect((await handle.describe()).status.name).toBe('RUNNING');
    });
  });

  it('answers a targeted run with its result, passing the targets to the child', async () => {
    await withIntegration(
      async ({ handle, enableRequest, fakes, status, waitFor, settled, runId }) => {
        await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
        const first = await settled(1);

        const result = await handle.executeUpdate(targetedRunUpdate, {
          args: [
            { targets: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2'] }], reason: 'fetch' },
          ],
        });
        expect(result).toEqual({ runId: runId(2), status: 'completed', failureCount: 0, changed: 1 });
        expect(fakes.prepared[1]).toMatchObject({
          runId: runId(2),
          trigger: 'fetch',
          targets: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1', 'a2'] }],
        });
        // A targeted run is not a full run: the periodic schedule stays where it was.
        expect((await status()).nextPeriodicSyncAt).toBe(first.nextPeriodicSyncAt);

        // Requests that wait for a run in progress share the next run, their targets merged.
        fakes.holdSteps = true;
        await handle.executeUpdate(instantSyncUpdate, { args: [{}] });
        await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 3 to be syncing');
        const reprocess = handle.executeUpdate(targetedRunUpdate, {
          args: [
            { targets: [{ kind: 'item', direction: 'books_to_crm', ids: ['i1'] }], reason: 'reprocess' },
          ],
        });
        const fetch = handle.executeUpdate(targetedRunUpdate, {
          args: [
            {
              targets: [
                { kind: 'item', direction: 'books_to_crm', ids: ['i1', 'i2'] },
                { kind: 'vendor', direction: 'crm_to_books', ids: ['v1'] },
              ],
              reason: 'fetch',
            },
          ],
        });
        await waitFor((s) => s.pendingTargetedRequests === 2, 'both requests to wait');
        // An instant sync asked for now comes after the targeted run.
        expect(await handle.executeUpdate(instantSyncUpdate, { args: [{}] })).toMatchObject({ runNumber: 5 });
        fakes.holdSteps = false;
        fakes.release();
        const [r1, r2] = await Promise.all([reprocess, fetch]);
        expect(r1).toEqual({ runId: runId(4), status: 'completed', failureCount: 0, changed: 1 });
        expect(r2).toEqual(r1);
        expect(fakes.prepared[3]).toMatchObject({
          runNumber: 4,
          trigger: 'reprocess',
          targets: [
            { kind: 'item', direction: 'books_to_crm', ids: ['i1', 'i2'] },
            { kind: 'vendor', direction: 'crm_to_books', ids: ['v1'] },
          ],
        });
        expect((await settled(5)).lastRun?.trigger).toBe('instant');
        expect(fakes.prepared[4]).not.toHaveProperty('targets');

        // No records: refused by the validator.
        expect(
          await updateFailure(
            handle.executeUpdate(targetedRunUpdate, {
              args: [{ targets: [{ kind: 'item', direction: 'books_to_crm', ids: [] }], reason: 'import' }],
            }),
          ),
        ).toBe('import: no records given');
        expect((await handle.describe()).searchAttributes).not.toHaveProperty('SyncStatus');
      },
      // This one also checks the workflow runs without its search attributes (none are set).
      { input: { searchAttributes: false } },
    );
  });

  it('lets a targeted run in progress answer with its result when paused', async () => {
    await withIntegration(async ({ handle, enableRequest, fakes, waitFor, settled, runId }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      await settled(1);
      fakes.holdSteps = true;
      const fetch = handle.executeUpdate(targetedRunUpdate, {
        args: [{ targets: [{ kind: 'contact', direction: 'crm_to_books', ids: ['c1'] }], reason: 'fetch' }],
      });
      await waitFor((s) => s.running !== null && fakes.heldSteps.length === 1, 'run 2 to be syncing');
      await handle.executeUpdate(pauseUpdate, { args: [{}] });
      fakes.holdSteps = false;
      fakes.release();
      expect(await fetch).toEqual({ runId: runId(2), status: 'completed', failureCount: 0, changed: 1 });
      await settled(2);
    });
  });

  it('publishes its state as search attributes', async () => {
    await withIntegration(async ({ handle, enableRequest, crmOrgId, settled }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      await settled(1);
      const described = await handle.describe();
      expect(described.searchAttributes).toMatchObject({
        CrmOrg: [crmOrgId],
        BooksOrg: [BOOKS_ORG],
        SyncEnv: [ENVIRONMENT],
        SyncStatus: ['active'],
      });
      await handle.executeUpdate(pauseUpdate, { args: [{}] });
      expect((await handle.describe()).searchAttributes.SyncStatus).toEqual(['paused']);
    });
  });
});

/** Waits (real time) until the workflow has continued as new at least once. */
async function waitForNewExecution(handle: WorkflowHandleWithFirstExecutionRunId): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await handle.describe()).runId === handle.firstExecutionRunId) {
    if (Date.now() > deadline) throw new Error('the workflow did not continue as new');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls (real time) until `ok`. */
async function waitUntil(ok: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitUntilAsync(ok: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The events of one execution. */
async function history(workflowId: string, runId?: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const h: temporal.api.history.v1.IHistory = await suite.env.client.workflow
    .getHandle(workflowId, runId)
    .fetchHistory();
  return h.events ?? [];
}

/** Waits until the workflow's history records an activity's cancellation. */
async function activityCancelled(workflowId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const events = await history(workflowId);
    if (events.some((e) => e.activityTaskCanceledEventAttributes)) return;
    if (Date.now() > deadline) throw new Error(`no activity of ${workflowId} was cancelled`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
