import type { Activities } from '../../activities';
import type { SyncStepInput } from '../../activities/sync';
import type { SyncStep } from '../../domain/sync/plan';
import { historyLengths } from '../../client/temporal';
import { syncRunWorkflow } from '../../workflows';
import { unique, useTimeSkippingEnv } from '../helpers';

const suite = useTimeSkippingEnv();

type SyncActivities = Pick<Activities, 'prepareSyncRun' | 'syncStep' | 'finishSyncRun'>;
const counts = { added: 1, matched: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 };

/** Fake activities: each step has `pages` pages; every call returns the next cursor until the last. */
function fakeSync(steps: SyncStep[], pages: number, calls: SyncStepInput[]): SyncActivities {
  return {
    async prepareSyncRun() {
      return { ok: true, steps };
    },
    async syncStep(input) {
      calls.push(input);
      const page = input.cursor ? Number(input.cursor.id) + 1 : 1;
      return {
        next: page < pages ? { modifiedTime: '2026-01-01T00:00:00.000Z', id: String(page) } : null,
        counts,
        records: 1,
      };
    },
    async finishSyncRun() {
      return { status: 'completed', counts: {}, failureCount: 0 };
    },
  };
}

describe('syncRunWorkflow (time-skipping)', () => {
  it('walks every step in order and every page of each, passing the cursor on', async () => {
    const taskQueue = unique('tq');
    const steps: SyncStep[] = [
      { kind: 'account', direction: 'crm_to_books' },
      { kind: 'account', direction: 'books_to_crm' },
      { kind: 'item', direction: 'books_to_crm' },
    ];
    const calls: SyncStepInput[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: fakeSync(steps, 3, calls),
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(syncRunWorkflow, {
        taskQueue,
        workflowId: unique('sync-run'),
        args: [{ integrationId: 'c1/b1/production', runNumber: 1, trigger: 'initial' }],
      }),
    );
    expect(result.status).toBe('completed');
    expect(calls.map((c) => [c.step.kind, c.step.direction, c.cursor?.id ?? 'saved'])).toEqual([
      ['account', 'crm_to_books', 'saved'],
      ['account', 'crm_to_books', '1'],
      ['account', 'crm_to_books', '2'],
      ['account', 'books_to_crm', 'saved'],
      ['account', 'books_to_crm', '1'],
      ['account', 'books_to_crm', '2'],
      ['item', 'books_to_crm', 'saved'],
      ['item', 'books_to_crm', '1'],
      ['item', 'books_to_crm', '2'],
    ]);
  });

  it('continues as new on long runs, keeping its place, each execution under 2,000 history events', async () => {
    const taskQueue = unique('tq');
    const steps: SyncStep[] = [{ kind: 'account', direction: 'crm_to_books' }];
    const calls: SyncStepInput[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: fakeSync(steps, 600, calls),
    });
    const workflowId = unique('sync-run');
    const handle = await suite.env.client.workflow.start(syncRunWorkflow, {
      taskQueue,
      workflowId,
      args: [{ integrationId: 'c1/b1/production', runNumber: 1, trigger: 'initial' }],
    });
    const result = await worker.runUntil(handle.result());
    expect(result.status).toBe('completed');
    // Every page once, in order, across executions.
    expect(calls.map((c) => c.cursor?.id ?? 'saved')).toEqual([
      'saved',
      ...Array.from({ length: 599 }, (_, i) => String(i + 1)),
    ]);
    const lengths = await historyLengths(suite.env.client, workflowId, handle.firstExecutionRunId);
    expect(lengths.length).toBeGreaterThanOrEqual(3);
    for (const n of lengths) expect(n).toBeLessThan(2000);
  });

  it('records a refused run as failed with its reason instead of failing the workflow', async () => {
    const taskQueue = unique('tq');
    const finished: unknown[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: {
        async prepareSyncRun() {
          return { ok: false, reason: 'the CRM edition is FREE', errorType: 'PrerequisiteFailed' };
        },
        async syncStep() {
          throw new Error('must not run');
        },
        async finishSyncRun(input) {
          finished.push(input);
          return { status: 'failed', counts: {}, failureCount: 0 };
        },
      } satisfies SyncActivities,
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(syncRunWorkflow, {
        taskQueue,
        workflowId: unique('sync-run'),
        args: [{ integrationId: 'c1/b1/production', runNumber: 2, trigger: 'periodic' }],
      }),
    );
    expect(result).toMatchObject({ status: 'failed', reason: 'the CRM edition is FREE' });
    expect(finished).toEqual([
      { runId: 'sync-run/c1/b1/production/2', status: 'failed', reason: 'the CRM edition is FREE' },
    ]);
  });
});
