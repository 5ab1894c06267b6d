import { createOperations } from '../../api/operations';
import { OperationError, type SyncOperations } from '../../api/types';
import { INTEGRATION_CONFIG as config, account, until } from './integration-fixtures';
import { createSyncBench, type SyncBench } from './sync-harness';

/** The integration's lifecycle through the operations layer, on the real servers (ISSUE 5). */

describe('integration lifecycle on the real servers', () => {
  let bench: SyncBench;
  let ops: SyncOperations;
  let ref: { crmOrgId: string; booksOrgId: string; environment: 'production' };
  beforeEach(async () => {
    bench = await createSyncBench();
    ops = createOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      webhookToken: 'a-long-enough-webhook-token',
    });
    ref = { crmOrgId: bench.crmOrg, booksOrgId: bench.booksOrg, environment: 'production' };
  });
  afterEach(async () => {
    await bench.client.workflow
      .getHandle(`integration/${bench.integrationId}`)
      .terminate('test over')
      .catch(() => undefined);
    await bench?.close();
  });

  const lastRun = (n: number) =>
    until(
      `run ${n}`,
      async () => {
        const [run] = await ops.history(ref, { limit: 1 });
        return run && run.runNumber >= n && run.status !== 'running' ? run : undefined;
      },
      60_000,
    );

  it('enables, syncs now, syncs again on request, and disable + re-enable creates no duplicate', async () => {
    await bench.crm('Accounts').put([account('a1', 'Acme'), account('a2', 'Globex')]);
    const enabled = await ops.enable({ ...ref, config, syncNow: true });
    expect(enabled).toMatchObject({
      status: 'active',
      direction: 'two_way',
      reEnabled: false,
      syncQueued: true,
    });
    const first = await lastRun(1);
    expect(first).toMatchObject({ trigger: 'initial', status: 'completed' });
    expect(first.counts.customers!.crm_to_books!.added).toBe(2);
    // S1.3: the Books org shows on the CRM org.
    expect((await bench.deps.crmStore.getOrg(bench.crmOrg))?.books_organizations).toEqual([
      expect.objectContaining({
        organization_id: bench.booksOrg,
        name: 'Zylker Books',
        direction: 'two_way',
      }),
    ]);

    await ops.disable(ref);
    const view = await ops.get(ref);
    expect(view.integration.status).toBe('disabled');
    await expect(ops.syncNow(ref)).rejects.toThrow(/disabled/);

    await bench.crm('Accounts').put([account('a3', 'Initech')]);
    const again = await ops.enable({ ...ref, config, syncNow: true });
    expect(again).toMatchObject({ reEnabled: true, status: 'active' });
    const second = await lastRun(2);
    expect(second.counts.customers!.crm_to_books).toMatchObject({ added: 1 });
    const books = await bench.books('contacts').all();
    expect(books.map((b) => b.data.contact_name).sort()).toEqual(['Acme', 'Globex', 'Initech']);

    const audit = await ops.audit(ref, {});
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['integration.enabled', 'integration.disabled', 'integration.re_enabled']),
    );
    await bench.recordHistory('integration-disable-re-enable', `integration/${bench.integrationId}`);
  });

  it('disable with transaction sync on deletes the CRM finance copies and leaves Books untouched', async () => {
    await bench.crm('Accounts').put([account('a1', 'Acme')]);
    const quotes = bench.deps.crmStore.module('Quotes');
    await quotes.upsertMany(bench.crmOrg, [
      { id: 'q1', data: { id: 'q1', Subject: 'Q-1 for Acme' } },
      { id: 'q2', data: { id: 'q2', Subject: 'Q-2 for Acme' } },
    ]);
    await ops.enable({ ...ref, config: { ...config, transactionSync: true }, syncNow: true });
    await lastRun(1);
    const booksBefore = await bench.books('contacts').all();
    expect(booksBefore).toHaveLength(1);

    await ops.disable(ref);
    expect((await quotes.findByIds(bench.crmOrg, ['q1', 'q2'])).map((q) => q.deleted)).toEqual([true, true]);
    expect(await bench.books('contacts').all()).toEqual(booksBefore);
    expect((await bench.deps.crmStore.getOrg(bench.crmOrg))?.books_organizations).toEqual([]);
    const [entry] = await ops.audit(ref, { action: 'integration.disabled' });
    expect(entry?.detail).toMatch(/2 CRM finance record\(s\) deleted/);
  });

  it('pause refuses instant sync with a message; resume allows it', async () => {
    await ops.enable({ ...ref, config, syncNow: false });
    const paused = await ops.pause(ref);
    expect(paused.status).toBe('paused');
    const err = await ops.syncNow(ref).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OperationError);
    expect((err as OperationError).kind).toBe('conflict');
    expect((err as Error).message).toMatch(/paused/);
    await ops.resume(ref);
    const queued = await ops.syncNow(ref);
    expect(queued.queued).toBe(true);
    expect(await lastRun(1)).toMatchObject({ trigger: 'initial', status: 'completed' });
  });

  it('a "My Accounts" view syncs the accounts of the integration\'s owner, who must be a CRM user', async () => {
    await bench.deps.crmStore.saveViews(bench.crmOrg, [
      { id: 'view-my', name: 'My Accounts', module: 'Accounts', predefined: true, system_name: 'MYVIEWS' },
    ]);
    await bench.deps.crmStore.users.upsertMany(bench.crmOrg, [
      {
        id: 'u1',
        data: { id: 'u1', full_name: 'Ann Owner', email: 'ann@example.test', status: 'active' } as never,
      },
    ]);
    const owned = (id: string, name: string, owner: string) =>
      account(id, name, { Owner: { id: owner, name: owner } });
    await bench.crm('Accounts').put([owned('a1', 'Acme', 'u1'), owned('a2', 'Globex', 'u2')]);
    const mine = { ...config, customers: { ...config.customers, accountViewId: 'view-my' } };

    // Without an owner, or with one the CRM does not know, the view cannot apply: refused at enable.
    await expect(ops.enable({ ...ref, config: mine, syncNow: true })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/customers\.accountViewId: .*My view needs/),
    });
    await expect(
      ops.enable({ ...ref, config: { ...mine, ownerUserId: 'u9' }, syncNow: true }),
    ).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/ownerUserId: u9 is not a user/),
    });

    await ops.enable({ ...ref, config: { ...mine, ownerUserId: 'u1' }, syncNow: true });
    const run = await lastRun(1);
    expect(run.counts.customers!.crm_to_books).toMatchObject({ added: 1, skipped: 1 });
    expect((await bench.books('contacts').all()).map((b) => b.data.contact_name)).toEqual(['Acme']);
  });

  it('refuses bad input with a clear error and writes nothing', async () => {
    await expect(ops.enable({ ...ref, crmOrgId: 'nope', config, syncNow: true })).rejects.toMatchObject({
      kind: 'not_found',
      message: 'CRM org nope is not known',
    });
    await expect(
      ops.enable({ ...ref, config: { ...config, items: { extent: 'sideways' } }, syncNow: true } as never),
    ).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/config\.items\.extent/) });
    await expect(
      ops.enable({ ...ref, crmOrgId: { $ne: null }, config, syncNow: true } as never),
    ).rejects.toMatchObject({ kind: 'invalid', message: expect.stringMatching(/crmOrgId/) });
    expect(await bench.deps.syncState.getIntegration(bench.integrationId)).toBeUndefined();
    await expect(
      ops.webhook(bench.crmOrg, {
        module: 'Accounts',
        ids: ['a1'],
        operation: 'update',
        channel_id: '1',
        token: 'wrong-token-wrong',
      }),
    ).rejects.toMatchObject({ kind: 'unauthorized' });
  });
});
