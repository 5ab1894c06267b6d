import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MongoClient, type Db } from 'mongodb';
import { chromium, type Browser } from 'playwright-core';
import { startHttpServer } from '../../api/http';
import { createSubscriptionOperations, type SubscriptionOperations } from '../../api/subscriptions';
import { OperationError, type SyncOperations } from '../../api/types';
import { integrationIdOf } from '../../domain/sync-state-schemas';
import { createBillingStore } from '../../stores/billing-store';
import { createCrmStore } from '../../stores/crm-store';
import { createCrmSubscriptions } from '../../stores/crm-subscriptions';
import { createSyncStateStore } from '../../stores/sync-state-store';
import { createLogger } from '../../workers/logging';
import { AS_OF, PLANS, SUBSCRIPTIONS, USERS } from '../fixtures/billing-dataset';
import { integrationEndpoints, unique } from '../helpers';

/*
 * Subscriptions in the CRM (issue 19) on the real Mongo-wire server, one fresh database per store: the
 * hand-checked billing dataset synced into the CRM (twice: the second run writes nothing), the related list
 * and views per billing scope, a subscription created from the CRM, and the dashboards page in headless
 * Chromium showing the dataset's figures. With CBS_DASHBOARD_SCREENSHOTS=docs the page's two dashboards are
 * also saved there as PNGs (the README's screenshots).
 */

const CRM_ORG = 'crm-org-1';
const BOOKS_ORG = 'books-org-1';
const ref = { crmOrgId: CRM_ORG, booksOrgId: BOOKS_ORG, environment: 'production' as const };
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('subscriptions in the CRM, their reports and dashboards (real servers)', () => {
  const { mongoUri } = integrationEndpoints();
  const names = ['crm', 'books', 'sync'].map((n) => unique(`subs_${n}`).replace(/-/g, '_'));
  let mongo: MongoClient;
  let dbs: Db[];
  let ops: SubscriptionOperations;

  beforeAll(async () => {
    mongo = await MongoClient.connect(mongoUri);
    dbs = names.map((n) => mongo.db(n));
    const [crmDb, booksDb, syncDb] = dbs as [Db, Db, Db];
    const billing = createBillingStore(booksDb);
    const crm = createCrmStore(crmDb);
    const crmSubscriptions = createCrmSubscriptions(crmDb);
    const syncState = createSyncStateStore(syncDb);
    await Promise.all([billing.ensureIndexes(), crmSubscriptions.ensureIndexes(), syncState.ensureIndexes()]);

    await billing.plans.upsertMany(
      BOOKS_ORG,
      PLANS.map((p) => ({ id: p.plan_code, data: p })),
    );
    await billing.subscriptions.upsertMany(
      BOOKS_ORG,
      SUBSCRIPTIONS.map((s) => ({ id: s.subscription_id, data: s })),
    );
    await billing.users.saveMany(BOOKS_ORG, USERS);
    // Customers 1–9 synced to accounts acc-1 … acc-9; customer 10 not (yet).
    const linked = SUBSCRIPTIONS.slice(0, 9).map((s, i) => ({
      customer: s.customer_id,
      account: `acc-${i + 1}`,
    }));
    await crm.module('Accounts').upsertMany(
      CRM_ORG,
      linked.map((l) => ({ id: l.account, data: { id: l.account, Account_Name: `Account ${l.account}` } })),
    );
    await syncState.upsertLinks(
      linked.map((l) => ({
        integrationId: integrationIdOf(CRM_ORG, BOOKS_ORG, 'production'),
        entity: 'customer',
        crmModule: 'Accounts',
        crmId: l.account,
        booksId: l.customer,
        lastSynced: { crm: {}, books: {} },
        contentHash: {},
      })),
    );
    ops = createSubscriptionOperations({
      billing,
      crm,
      crmSubscriptions,
      links: syncState,
      today: () => AS_OF,
    });
  });

  afterAll(async () => {
    await Promise.all((dbs ?? []).map((db) => db.dropDatabase()));
    await mongo?.close();
  });

  it('syncs every subscription into the CRM once: a second run writes nothing', async () => {
    expect(await ops.syncSubscriptions(ref)).toEqual({
      inserted: 10,
      updated: 0,
      unchanged: 0,
      withoutAccount: 1,
    });
    expect(await ops.syncSubscriptions(ref)).toEqual({
      inserted: 0,
      updated: 0,
      unchanged: 10,
      withoutAccount: 1,
    });
  });

  it("shows an account's subscriptions on its related list", async () => {
    const list = await ops.listSubscriptions(ref, { user: 'ada@example.com', account: 'acc-3' });
    expect(list.subscriptions).toEqual([
      expect.objectContaining({
        id: 'bs-sub-3',
        Subscription_Number: 'SUB-00003',
        Status: 'live',
        Account_Name: { id: 'acc-3', name: 'Account acc-3' },
        Plan_Code: 'basic-m',
        Amount: 20,
        MRR: 20,
        Currency: 'USD',
        Billing_Id: 'sub-3',
      }),
    ]);
  });

  it.each([
    // scope, user, what they see of the live view
    ['all', 'ada@example.com', ['SUB-00001', 'SUB-00002', 'SUB-00003', 'SUB-00005', 'SUB-00007']],
    ['team (t1: Olga and Max)', 'tom@example.com', ['SUB-00001', 'SUB-00002', 'SUB-00003', 'SUB-00005']],
    ['own (Olga)', 'olga@example.com', ['SUB-00001', 'SUB-00002', 'SUB-00003']],
  ])('follows the billing scope %s', async (_scope, user, expected) => {
    const list = await ops.listSubscriptions(ref, { user, view: 'live' });
    expect(list.subscriptions.map((s) => s.Subscription_Number)).toEqual(expected);
  });

  it('has the predefined views', async () => {
    const view = async (v: 'trials' | 'non-renewing' | 'all') =>
      (await ops.listSubscriptions(ref, { user: 'ada@example.com', view: v })).subscriptions.map(
        (s) => s.Subscription_Number,
      );
    expect(await view('trials')).toEqual(['SUB-00009']);
    expect(await view('non-renewing')).toEqual(['SUB-00010']);
    expect(await view('all')).toHaveLength(10);
  });

  it('refuses a user billing does not know', async () => {
    await expect(ops.listSubscriptions(ref, { user: 'eve@example.com' })).rejects.toMatchObject({
      kind: 'forbidden',
    });
  });

  it('serves the dashboards page, whose charts show the hand-checked figures (headless Chromium)', async () => {
    const server = await startHttpServer({
      operations: { subscriptions: ops } as unknown as SyncOperations,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
    });
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const query = new URLSearchParams({ ...ref, user: 'ada@example.com', asOf: AS_OF });
      await page.goto(`${server.url}/dashboards/subscriptions?${query}`);
      await page.waitForSelector('body[data-ready]', { timeout: 15_000 });

      expect(await page.textContent('#mrr-total')).toBe('EUR 63.33 · USD 65.00');
      expect(await page.textContent('#arr-total')).toBe('EUR 760.00 · USD 780.00');
      expect(await page.textContent('#churn-rate')).toBe('25.00 %');
      expect(await page.textContent('#trial-conversion')).toBe('50.00 % (1 of 2)');
      const chart = (id: string) =>
        page.evaluate((canvas) => {
          const c = (globalThis as unknown as { Chart: { getChart(id: string): { data: unknown } } }).Chart;
          return JSON.parse(JSON.stringify(c.getChart(canvas)!.data)) as {
            labels: string[];
            datasets: { label: string; data: number[] }[];
          };
        }, id);
      const mrr = await chart('mrr-chart');
      expect(mrr.labels).toHaveLength(12);
      expect(mrr.datasets.map((d) => [d.label, d.data.at(0), d.data.at(-1)])).toEqual([
        ['MRR EUR', 15, 63.33],
        ['MRR USD', 20, 65],
      ]);
      const movement = await chart('movement-chart');
      expect(movement.datasets.map((d) => [d.label, d.data])).toEqual([
        ['EUR', [63.33, 25, 0, -40, 48.33]],
        ['USD', [80, 15, -30, -10, 55]],
      ]);
      const plans = await chart('top-plans-chart');
      expect(plans.labels[0]).toBe('Team EU (EUR)');

      const out = process.env.CBS_DASHBOARD_SCREENSHOTS;
      if (out) {
        for (const id of ['overview', 'insights'])
          await writeFile(path.join(out, `dashboard-${id}.png`), await page.locator(`#${id}`).screenshot());
      }
    } finally {
      await browser?.close();
      await server.close();
    }
  });

  it('creates a subscription from the CRM: it is written in billing and comes back to the account', async () => {
    const input = {
      user: 'olga@example.com',
      account: 'acc-4',
      planCode: 'pro-m',
      quantity: 2,
      reference: 'r-1',
    };
    const created = await ops.createSubscription(ref, input);
    expect(created).toMatchObject({ billingId: 'crm-r-1', crmId: 'bs-crm-r-1', written: 'inserted' });
    expect(created.record).toMatchObject({ Status: 'live', Amount: 50, MRR: 50, Activated_On: AS_OF });
    const list = await ops.listSubscriptions(ref, { user: 'olga@example.com', account: 'acc-4' });
    expect(list.subscriptions.map((s) => s.id)).toEqual(['bs-crm-r-1']);
    // Billing has it: Olga's own MRR grows by 50.00 (25 + 20 + 20 + 50).
    const overview = await ops.overview(ref, { user: 'olga@example.com' });
    expect(overview.current.mrr).toEqual({ USD: '115.00' });
    // The same reference again creates nothing.
    expect((await ops.createSubscription(ref, input)).written).toBe('unchanged');
  });

  it.each([
    ['a user without the permission', { user: 'tom@example.com', account: 'acc-4' }, 'forbidden'],
    ['an account not synced to Books', { user: 'ada@example.com', account: 'acc-404' }, 'conflict'],
    ['an unknown plan', { user: 'ada@example.com', account: 'acc-4', planCode: 'gold' }, 'not_found'],
  ])('refuses a creation by %s', async (_what, given, kind) => {
    const attempt = ops.createSubscription(ref, { planCode: 'pro-m', ...given });
    await expect(attempt).rejects.toBeInstanceOf(OperationError);
    await expect(attempt).rejects.toMatchObject({ kind });
  });
});
