import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { Activities } from '../../activities';
import type {
  RecordExpiredRequestInput,
  SetIntegrationStatusInput,
  ConfigureIntegrationInput,
} from '../../activities/integration';
import { integrationWorkflowId } from '../../domain/ids';
import { integrationWorkflow } from '../../workflows';
import {
  configureUpdate,
  enableUpdate,
  instantSyncUpdate,
  integrationStatusQuery,
  pauseUpdate,
  targetedRunUpdate,
  type EnableRequest,
} from '../../workflows/messages';
import { unique, useTimeSkippingEnv } from '../helpers';

/**
 * The deadline rule of the integration workflow's updates: a request that reaches the workflow after its
 * deadline (its caller gave up waiting for a worker) is refused with the reason, audited, and changes
 * nothing; one within its deadline is applied. Times are the test server's clock.
 */

const suite = useTimeSkippingEnv();

const BOOKS_ORG = 'books-1';
const CONFIG = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
  items: { extent: 'fetch_from_crm', duplicatePolicy: 'skip' },
};

type Fakes = Pick<
  Activities,
  'enableIntegration' | 'configureIntegration' | 'setIntegrationStatus' | 'recordExpiredRequest'
>;

class Recorder {
  enables = 0;
  configures: ConfigureIntegrationInput[] = [];
  statuses: SetIntegrationStatusInput[] = [];
  expired: RecordExpiredRequestInput[] = [];

  activities(): Fakes {
    return {
      enableIntegration: async () => {
        this.enables++;
        return { direction: 'two_way', configVersion: 1, periodicSyncMinutes: 120 };
      },
      configureIntegration: async (input) => {
        this.configures.push(input);
        return { direction: 'two_way', configVersion: 2, periodicSyncMinutes: 120 };
      },
      setIntegrationStatus: async (input) => {
        this.statuses.push(input);
        return { financeRecordsDeleted: 0, configVersion: 1 };
      },
      recordExpiredRequest: async (input) => {
        this.expired.push(input);
      },
    };
  }
}

/** A request window in the test server's time: sent `sentAgoMs` ago, with `ttlMs` to be taken. */
async function windowOf(sentAgoMs: number, ttlMs: number) {
  const now = Number(await suite.env.currentTimeMs());
  return {
    requestedAt: new Date(now - sentAgoMs).toISOString(),
    deadline: new Date(now - sentAgoMs + ttlMs).toISOString(),
  };
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => new Error('the update succeeded'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  return cause instanceof Error ? cause.message : String(cause);
}

async function withWorkflow(
  body: (ctx: {
    handle: WorkflowHandle<typeof integrationWorkflow>;
    recorder: Recorder;
    integrationId: string;
    enableRequest: () => EnableRequest;
  }) => Promise<void>,
): Promise<void> {
  const taskQueue = unique('tq');
  const crmOrgId = unique('crm');
  const recorder = new Recorder();
  const worker = await suite.worker({ taskQueue, activities: recorder.activities() });
  await worker.runUntil(async () => {
    const handle = await suite.env.client.workflow.start(integrationWorkflow, {
      taskQueue,
      workflowId: integrationWorkflowId(crmOrgId, BOOKS_ORG, 'production'),
      args: [{ crmOrgId, booksOrgId: BOOKS_ORG, environment: 'production', searchAttributes: false }],
    });
    try {
      await body({
        handle,
        recorder,
        integrationId: `${crmOrgId}/${BOOKS_ORG}/production`,
        enableRequest: () => ({
          crmOrgId,
          booksOrgId: BOOKS_ORG,
          environment: 'production',
          config: CONFIG,
          syncNow: false,
        }),
      });
    } finally {
      await handle.terminate('test over').catch(() => undefined);
    }
  });
}

describe('integrationWorkflow: requests past their deadline (time-skipping)', () => {
  it('refuses a pause that arrives after its deadline, audits it once, and stays active', async () => {
    await withWorkflow(async ({ handle, recorder, integrationId, enableRequest }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      const late = await windowOf(60_000, 20_000);
      const reason = await failureOf(
        handle.executeUpdate(pauseUpdate, { args: [{ actor: { id: 'cli:ann' }, ...late }] }),
      );
      expect(reason).toMatch(
        new RegExp(
          `^the pause request sent at ${late.requestedAt} arrived at \\S+, after its deadline ` +
            `${late.deadline}: its caller had stopped waiting, so it was not applied$`,
        ),
      );
      expect(recorder.expired).toEqual([
        { integrationId, action: 'pause', actor: { id: 'cli:ann' }, reason, requestId: expect.any(String) },
      ]);
      expect(recorder.statuses).toEqual([]);
      expect(await handle.query(integrationStatusQuery)).toMatchObject({ status: 'active' });

      // The same request within its deadline is applied.
      const paused = await handle.executeUpdate(pauseUpdate, { args: [{ ...(await windowOf(0, 20_000)) }] });
      expect(paused.status).toBe('paused');
      expect(recorder.statuses.map((s) => s.status)).toEqual(['paused']);
      expect(recorder.expired).toHaveLength(1);
    });
  });

  it('refuses a late configure, instant sync or targeted run without changing anything', async () => {
    await withWorkflow(async ({ handle, recorder, enableRequest }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      const late = await windowOf(30_000, 1_000);
      const reasons = await Promise.all([
        failureOf(
          handle.executeUpdate(configureUpdate, {
            args: [{ config: { ...CONFIG, periodicSyncMinutes: 30 }, syncNow: true, ...late }],
          }),
        ),
        failureOf(handle.executeUpdate(instantSyncUpdate, { args: [{ ...late }] })),
        failureOf(
          handle.executeUpdate(targetedRunUpdate, {
            args: [
              {
                targets: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }],
                reason: 'fetch',
                ...late,
              },
            ],
          }),
        ),
      ]);
      expect(reasons.map((r) => r.split(' request ')[0])).toEqual([
        'the configure',
        'the sync now',
        'the fetch',
      ]);
      expect(recorder.expired.map((e) => e.action).sort()).toEqual(['configure', 'fetch', 'sync now']);
      expect(recorder.configures).toEqual([]);
      expect(await handle.query(integrationStatusQuery)).toMatchObject({
        status: 'active',
        configVersion: 1,
        pendingInstantSync: false,
        pendingTargetedRequests: 0,
        runsStarted: 0,
      });
    });
  });

  it('ends a workflow started only for an enable that came too late', async () => {
    await withWorkflow(async ({ handle, recorder, enableRequest }) => {
      const reason = await failureOf(
        handle.executeUpdate(enableUpdate, {
          args: [{ ...enableRequest(), ...(await windowOf(90_000, 20_000)) }],
        }),
      );
      expect(reason).toMatch(/^the enable request sent at .* so it was not applied$/);
      expect(recorder.enables).toBe(0);
      expect(await handle.result()).toEqual({ status: 'new', reason: 'the integration was never enabled' });
      expect(recorder.expired.map((e) => e.action)).toEqual(['enable']);
    });
  });

  it('rejects a request window that is not ISO times, before it is accepted (nothing audited)', async () => {
    await withWorkflow(async ({ handle, recorder, enableRequest }) => {
      await handle.executeUpdate(enableUpdate, { args: [enableRequest()] });
      expect(
        await failureOf(handle.executeUpdate(pauseUpdate, { args: [{ deadline: 'tomorrow-ish' }] })),
      ).toBe('invalid request: deadline must be an ISO time');
      expect(recorder.expired).toEqual([]);
      expect(await handle.query(integrationStatusQuery)).toMatchObject({ status: 'active' });
    });
  });
});
