import { createSyncBench, totals, type SyncBench } from './sync-harness';

jest.setTimeout(180_000);

/**
 * Currency checked both ways (issue 14, S9.6): a Books customer in a currency Books has not enabled (written
 * around the checks, as an unchecked import would) fails on its way to the CRM, once, with its reason; it is
 * not written there to fail the CRM → Books step of every later run.
 */
describe('currency validation in both directions on the real servers', () => {
  let bench: SyncBench;
  afterEach(async () => {
    await bench?.close();
  });

  const customer = (id: string, name: string, currency: string) => ({
    contact_id: id,
    contact_name: name,
    company_name: name,
    contact_type: 'customer',
    customer_sub_type: 'business',
    status: 'active',
    currency_code: currency,
  });

  it('a Books customer in an unenabled currency fails once; a run with nothing changed reports no new failure', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts', extent: 'both_ways' } });
    await bench
      .books('contacts')
      .put([customer('b-inr', 'Mumbai Traders', 'INR'), customer('b-eur', 'Lyon SARL', 'EUR')]);

    const first = await bench.sync();
    expect(first.status).toBe('completed_with_failures');
    expect(totals(first)).toMatchObject({ added: 1, failed: 1 });
    const failures = await bench.deps.syncState.listFailures(bench.integrationId, { limit: 10 });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      recordId: 'b-inr',
      field: 'Currency',
      reason: 'currency INR is not enabled in Books (enabled: EUR, USD)',
    });
    // Only the valid customer reached the CRM: nothing there can fail on its way back.
    const accounts = await bench.crm('Accounts').all();
    expect(accounts.map((a) => a.data.Account_Name)).toEqual(['Lyon SARL']);

    const second = await bench.sync();
    expect(second.status).toBe('completed');
    expect(totals(second)).toMatchObject({ added: 0, updated: 0, failed: 0 });
    expect(await bench.deps.syncState.listFailures(bench.integrationId, { limit: 10 })).toHaveLength(1);
  });
});
