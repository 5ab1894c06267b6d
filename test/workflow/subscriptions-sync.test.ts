import { temporal } from '@temporalio/proto';
import type { SyncCrmSubscriptionsResult } from '../../activities/subscriptions';
import { startSubscriptionsSync } from '../../client';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import type { subscriptionsSyncWorkflow } from '../../workflows/subscriptions-sync';
import { unique, useTimeSkippingEnv } from '../helpers';

// The time-skipping server refuses search attributes it does not know but accepts their registration.
const suite = useTimeSkippingEnv(async (env) => {
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
  });
});

/** Each integration's status as the fake activity reads it, and when it synced (the server's time). */
const status = new Map<string, 'active' | 'paused' | 'disabled'>();
const syncTimes = new Map<string, number[]>();
const taskQueue = unique('tq');

beforeAll(async () => {
  const activities = {
    async syncCrmSubscriptions(input: { integrationId: string }): Promise<SyncCrmSubscriptionsResult> {
      const now = status.get(input.integrationId);
      if (now === undefined || now === 'disabled')
        return { outcome: 'ended', reason: `${now ?? 'no'} integration` };
      if (now === 'paused') return { outcome: 'paused' };
      const times = syncTimes.get(input.integrationId) ?? [];
      // The server's skipped time, not the wall clock's.
      syncTimes.set(input.integrationId, [...times, await suite.env.currentTimeMs()]);
      return {
        outcome: 'synced',
        inserted: times.length === 0 ? 3 : 0,
        updated: 0,
        unchanged: 3,
        withoutAccount: 0,
      };
    },
  };
  const worker = await suite.worker({ taskQueue, activities });
  void worker.run();
}, 60_000);

describe('subscriptionsSyncWorkflow (time-skipping)', () => {
  it('syncs at once, then again on each durable timer, skips while paused and ends when disabled', async () => {
    const crmOrgId = unique('c');
    const integrationId = `${crmOrgId}/b1/production`;
    status.set(integrationId, 'active');
    // What enabling an integration with Billing does (api/subscriptions.ts scheduleSubscriptionsSync).
    const start = () =>
      startSubscriptionsSync(suite.env.client, taskQueue, {
        crmOrgId,
        booksOrgId: 'b1',
        environment: 'production',
        everyMinutes: 60,
      });
    const started = await start();
    expect(started).toEqual({ workflowId: `subscriptions-sync/${crmOrgId}/b1/production`, started: true });
    await expect(start()).resolves.toMatchObject({ started: false });
    const handle = suite.env.client.workflow.getHandle<typeof subscriptionsSyncWorkflow>(started.workflowId);
    const details = async () =>
      (await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata')).currentDetails;

    await suite.env.sleep(30 * 60_000);
    expect(syncTimes.get(integrationId)).toHaveLength(1);
    expect(await details()).toMatch(/^Sync 1 at .*: 3 added, 0 updated, 3 unchanged\. Next at /);
    await suite.env.sleep(60 * 60_000);
    expect(syncTimes.get(integrationId)).toHaveLength(2);
    const [first, second] = syncTimes.get(integrationId)!;
    expect(second! - first!).toBeGreaterThanOrEqual(60 * 60_000);

    status.set(integrationId, 'paused');
    await suite.env.sleep(60 * 60_000);
    expect(syncTimes.get(integrationId)).toHaveLength(2);
    expect(await details()).toMatch(/^Skipped at .*: the integration is paused\. Next at /);

    status.set(integrationId, 'disabled');
    await expect(handle.result()).resolves.toEqual({ syncs: 2, reason: 'disabled integration' });
    const described = await handle.describe();
    expect(await described.staticSummary()).toBe(`CRM Subscriptions of ${integrationId} following billing`);
    expect(described.searchAttributes.SyncStatus).toEqual(['completed']);
    // Ended with its integration: enabling it again starts the job again.
    status.set(integrationId, 'active');
    await expect(start()).resolves.toMatchObject({ started: true });
  });
});
