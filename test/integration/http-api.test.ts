import pino from 'pino';
import { startHttpServer } from '../../api/http';
import { createOperations } from '../../api/operations';
import { OperationError, type SyncOperations } from '../../api/types';
import { createSyncClient } from '../../client/sync-client';
import { INTEGRATION_CONFIG as config, account, until } from './integration-fixtures';
import { createSyncBench, type SyncBench } from './sync-harness';

/** The HTTP API and its typed client over the real operations, Temporal and MongoDB (ISSUE 5 §2). */

const TOKEN = 'a-long-enough-webhook-token';

type ErrorBody = { error: { kind: string; message: string; issues: string[] } };

describe('HTTP API on the real servers', () => {
  let bench: SyncBench;
  let server: { url: string; close(): Promise<void> };
  let api: SyncOperations;
  let ref: { crmOrgId: string; booksOrgId: string; environment: 'production' };
  let path: string;

  beforeEach(async () => {
    bench = await createSyncBench();
    const operations = createOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      webhookToken: TOKEN,
    });
    server = await startHttpServer({
      operations,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
    });
    api = createSyncClient(server.url);
    ref = { crmOrgId: bench.crmOrg, booksOrgId: bench.booksOrg, environment: 'production' };
    path = `/integrations/${bench.crmOrg}/${bench.booksOrg}/production`;
  });
  afterEach(async () => {
    await server?.close();
    await bench.client.workflow
      .getHandle(`integration/${bench.integrationId}`)
      .terminate('test over')
      .catch(() => undefined);
    await bench?.close();
  });

  const raw = (method: string, p: string, body?: string) =>
    fetch(`${server.url}${p}`, {
      method,
      ...(body !== undefined && { body, headers: { 'content-type': 'application/json' } }),
    });
  const errorOf = async (res: Response) => ((await res.json()) as ErrorBody).error;

  /** Run n (or a later one), finished. */
  const runDone = (n: number) =>
    until(`run ${n}`, async () => {
      const [run] = await api.history(ref, { limit: 1 });
      return run && run.runNumber >= n && run.status !== 'running' ? run : undefined;
    });
  const booksNames = async () =>
    (await bench.books('contacts').all()).map((b) => String(b.data.contact_name)).sort();

  it('enables, syncs, pauses and resumes, lists runs and failures, lists Books contacts, takes webhooks, audits', async () => {
    await bench
      .crm('Accounts')
      .put([account('a1', 'Acme'), account('a2', 'Globex'), account('bad1', 'Hooli', { Currency: 'GBP' })]);

    // Enable through the API: 201, and the initial run follows.
    const created = await raw(
      'POST',
      '/integrations',
      JSON.stringify({ ...ref, config, syncNow: true, actor: { id: 'ops@zylker.test' } }),
    );
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({
      integrationId: bench.integrationId,
      status: 'active',
      direction: 'two_way',
      syncQueued: true,
    });
    const first = await runDone(1);
    expect(first).toMatchObject({
      runNumber: 1,
      trigger: 'initial',
      status: 'completed_with_failures',
      failureCount: 1,
    });
    expect(first.counts.customers!.crm_to_books).toMatchObject({ added: 2, failed: 1 });
    expect(await booksNames()).toEqual(['Acme', 'Globex']);

    const view = await api.get(ref);
    expect(view.integration).toMatchObject({ integrationId: bench.integrationId, status: 'active' });
    expect(view.workflow).toMatchObject({ status: 'active', runsStarted: 1 });
    expect(await api.list(bench.crmOrg)).toEqual([
      expect.objectContaining({ integrationId: bench.integrationId, status: 'active' }),
    ]);

    // An invalid configuration is refused naming the field, and changes nothing.
    const badConfig = await raw(
      'PUT',
      `${path}/config`,
      JSON.stringify({ config: { ...config, items: { ...config.items, extent: 'sideways' } } }),
    );
    expect(badConfig.status).toBe(400);
    const badConfigError = await errorOf(badConfig);
    expect(badConfigError.kind).toBe('invalid');
    expect(badConfigError.message).toMatch(/config\.items\.extent/);
    expect(badConfigError.issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^config\.items\.extent: /)]),
    );
    expect((await api.get(ref)).integration.configVersion).toBe(view.integration.configVersion);

    // Paused: an instant sync is refused with 409 and says why; resumed: it is accepted with 202.
    expect((await api.pause(ref, { actor: { id: 'ops@zylker.test' } })).status).toBe('paused');
    const refused = await raw('POST', `${path}/sync`);
    expect(refused.status).toBe(409);
    const refusal = await errorOf(refused);
    expect(refusal).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/paused/) });
    const thrown = await api.syncNow(ref).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(OperationError);
    expect(thrown).toMatchObject({ kind: 'conflict', message: expect.stringMatching(/paused/) });
    expect((await api.history(ref)).map((r) => r.runNumber)).toEqual([1]);

    expect((await api.resume(ref)).status).toBe('active');
    const accepted = await raw('POST', `${path}/sync`, JSON.stringify({ actor: { id: 'ops@zylker.test' } }));
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ queued: true, runNumber: 2 });
    expect(await runDone(2)).toMatchObject({ runNumber: 2, trigger: 'instant', status: 'completed' });

    // History lists the runs, newest first, and pages back; one run shows its failures.
    expect((await api.history(ref)).map((r) => [r.runNumber, r.trigger])).toEqual([
      [2, 'instant'],
      [1, 'initial'],
    ]);
    expect((await api.history(ref, { limit: 1, before: 2 })).map((r) => r.runNumber)).toEqual([1]);
    const run1 = await api.run(ref, 1);
    expect(run1.failures).toEqual([expect.objectContaining({ recordId: 'bad1', field: 'Currency' })]);
    expect((await raw('GET', `${path}/runs/99`)).status).toBe(404);

    // The invalid account is open, with the field and the reason.
    expect(await api.failures(ref, { status: 'open', module: 'customers' })).toEqual([
      expect.objectContaining({
        recordId: 'bad1',
        field: 'Currency',
        reason: expect.stringMatching(/currency GBP is not enabled in Books/),
      }),
    ]);
    expect(await api.failures(ref, { runId: 'no-such-run' })).toEqual([]);
    expect((await raw('GET', `${path}/failures?status=closed`)).status).toBe(400);

    // S3.9: the Books contacts that came from the CRM.
    const fromCrm = await api.booksFromCrm(ref, { module: 'customers' });
    expect(fromCrm.map((e) => [e.crmId, e.displayName]).sort()).toEqual([
      ['a1', 'Acme'],
      ['a2', 'Globex'],
    ]);
    expect(await api.booksFromCrm(ref, { limit: 1 })).toHaveLength(1);

    // A CRM notification with the right token queues a sync; a wrong one is refused and changes nothing.
    const runsBefore = (await api.history(ref, { limit: 1 }))[0]!.runNumber;
    const notification = { module: 'Accounts', ids: ['a2'], operation: 'update', channel_id: 1000 };
    const wrong = await raw(
      'POST',
      `/webhooks/crm/${bench.crmOrg}`,
      JSON.stringify({ ...notification, token: 'not-the-webhook-token' }),
    );
    expect(wrong.status).toBe(401);
    expect(await errorOf(wrong)).toMatchObject({
      kind: 'unauthorized',
      message: expect.stringMatching(/token/),
    });
    expect((await api.get(ref)).workflow?.notifications.received).toBe(0);
    expect((await api.history(ref, { limit: 1 }))[0]!.runNumber).toBe(runsBefore);

    const hook = await raw(
      'POST',
      `/webhooks/crm/${bench.crmOrg}`,
      JSON.stringify({ ...notification, token: TOKEN }),
    );
    expect(hook.status).toBe(202);
    expect(await hook.json()).toEqual({ signalled: [bench.integrationId], ignored: [] });
    const afterHook = await runDone(runsBefore + 1);
    expect(afterHook).toMatchObject({ trigger: 'instant', status: 'completed' });

    // The audit trail, for this integration and for all.
    const audit = await api.audit(ref, {});
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['integration.enabled', 'integration.paused', 'integration.resumed']),
    );
    expect(audit.find((a) => a.action === 'integration.enabled')?.actor).toMatchObject({
      id: 'ops@zylker.test',
    });
    const all = await api.audit(null, { action: 'webhook.crm_notification' });
    expect(all).toEqual([
      expect.objectContaining({ action: 'webhook.crm_notification', outcome: 'success', payloadIds: ['a2'] }),
    ]);
    expect(JSON.stringify(all)).not.toContain(TOKEN);
    const since = await api.audit(ref, { from: new Date(Date.now() + 60_000).toISOString() });
    expect(since).toEqual([]);
  });

  /** S3.3, S3.4, S9.6 through the API: fetch one record, search + import, fix + reprocess a failure. */
  async function targetedRunsMoveTheirRecords(): Promise<void> {
    // Fetch: an invalid record fails with its reason; fixed in the CRM and reprocessed, it is resolved.
    const failed = await api.fetchRecord(ref, { module: 'customers', crmId: 'bad1' });
    expect(failed).toMatchObject({ crmModule: 'Accounts', crmId: 'bad1', booksId: null });
    expect(failed.run).toMatchObject({ failureCount: 1 });
    const [failure] = await api.failures(ref, { status: 'open' });
    expect(failure).toMatchObject({
      recordId: 'bad1',
      field: 'Currency',
      reason: expect.stringMatching(/currency GBP is not enabled in Books/),
    });
    await bench.crm('Accounts').put([account('bad1', 'Hooli', { Currency: 'EUR' })]);
    const reprocessed = await api.reprocess(ref, { failureIds: [failure!.failureId] });
    expect(reprocessed).toMatchObject({ reprocessed: 1, resolved: 1, stillFailing: [], notRetried: [] });
    expect(reprocessed.run).toMatchObject({ status: 'completed', failureCount: 0, changed: 1 });
    expect(await api.failures(ref, { status: 'open' })).toEqual([]);
    expect(await booksNames()).toContain('Hooli');

    // Fetch a changed record now.
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);
    const fetched = await api.fetchRecord(ref, { module: 'customers', crmId: 'a1' });
    expect(fetched).toMatchObject({ crmModule: 'Accounts', crmId: 'a1', booksId: expect.any(String) });
    expect(await booksNames()).toContain('Acme Corp');

    // Search the CRM for a record not yet imported, then import it.
    expect(await api.searchCrm(ref, { q: 'Umbrella' })).toEqual([
      expect.objectContaining({ crmModule: 'Accounts', crmId: 'a4', name: 'Umbrella Corp', booksId: null }),
    ]);
    const imported = await api.importRecord(ref, { crmModule: 'Accounts', crmId: 'a4' });
    expect(imported).toMatchObject({ crmModule: 'Accounts', crmId: 'a4', booksId: expect.any(String) });
    expect(await api.searchCrm(ref, { q: 'umbrella', limit: 5 })).toEqual([
      expect.objectContaining({ crmId: 'a4', booksId: imported.booksId }),
    ]);
    expect(await booksNames()).toContain('Umbrella Corp');
    expect((await api.booksFromCrm(ref)).map((e) => e.crmId)).toEqual(expect.arrayContaining(['a4', 'bad1']));

    // Refusals of the targeted operations.
    await expect(api.fetchRecord(ref, { module: 'customers', crmId: 'zz' })).rejects.toMatchObject({
      kind: 'not_found',
      message: expect.stringMatching(/zz does not exist/),
    });
    await expect(api.importRecord(ref, { crmModule: 'Contacts', crmId: 'a4' })).rejects.toMatchObject({
      kind: 'not_found',
    });
    await expect(api.reprocess(ref, { all: true, module: 'customers' })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringMatching(/exactly one of failureIds, module or all/),
    });
  }

  it('fetches, searches and imports, and reprocesses a fixed failure (before any full run)', async () => {
    await bench
      .crm('Accounts')
      .put([
        account('a1', 'Acme'),
        account('bad1', 'Hooli', { Currency: 'GBP' }),
        account('a4', 'Umbrella Corp'),
      ]);
    await api.enable({ ...ref, config, syncNow: false });
    await targetedRunsMoveTheirRecords();
    // Newest first: import a4, fetch a1, reprocess bad1, fetch bad1.
    // Each targeted run is named for what was asked.
    expect((await api.history(ref)).map((r) => r.trigger)).toEqual(['import', 'fetch', 'reprocess', 'fetch']);
  });

  // Fails today: a targeted run after a full run moves nothing (see the report: activities/sync.ts runStep
  // starts a targeted step from the module's saved delta cursor).
  it('fetches, searches and imports, and reprocesses a fixed failure (after a full run)', async () => {
    await bench.crm('Accounts').put([account('a1', 'Acme'), account('bad1', 'Hooli', { Currency: 'GBP' })]);
    await api.enable({ ...ref, config, syncNow: true });
    expect(await runDone(1)).toMatchObject({ status: 'completed_with_failures', failureCount: 1 });
    await bench.crm('Accounts').put([account('a4', 'Umbrella Corp')]);
    // The full run recorded bad1's failure; fetching it again records it again (still GBP).
    await targetedRunsMoveTheirRecords();
  });

  // Fails today: a reprocess refused by the workflow leaves its failures "reprocessed" instead of open (see the
  // report: api/operations.ts reprocess marks them before the targeted run is accepted).
  it('a reprocess refused while paused leaves the failure open', async () => {
    await bench.crm('Accounts').put([account('bad1', 'Hooli', { Currency: 'GBP' })]);
    await api.enable({ ...ref, config, syncNow: true });
    expect(await runDone(1)).toMatchObject({ failureCount: 1 });
    await api.pause(ref);
    const refused = await raw('POST', `${path}/failures/reprocess`, JSON.stringify({ all: true }));
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toMatch(/paused/);
    expect((await api.failures(ref, {})).map((f) => f.status)).toEqual(['open']);
  });

  it('refuses bad input with a clear status and message, and writes nothing', async () => {
    const body = (extra: Record<string, unknown>) =>
      JSON.stringify({ ...ref, config, syncNow: true, ...extra });
    const expectRefused = async (res: Response, status: number, kind: string, message: RegExp) => {
      expect(res.status).toBe(status);
      const error = await errorOf(res);
      expect(error.kind).toBe(kind);
      expect(error.message).toMatch(message);
      return error;
    };

    // Unknown org: 404 through the client and raw.
    await expect(api.enable({ ...ref, crmOrgId: 'nope', config, syncNow: true })).rejects.toMatchObject({
      name: 'OperationError',
      kind: 'not_found',
      message: 'CRM org nope is not known',
    });
    await expectRefused(
      await raw('POST', '/integrations', body({ booksOrgId: 'nope' })),
      404,
      'not_found',
      /^Books org nope is not known$/,
    );

    // Invalid configuration: 400 naming the field.
    const invalid = await expectRefused(
      await raw(
        'POST',
        '/integrations',
        body({ config: { ...config, items: { ...config.items, extent: 'sideways' } } }),
      ),
      400,
      'invalid',
      /config\.items\.extent/,
    );
    expect(invalid.issues).toEqual([expect.stringMatching(/^config\.items\.extent: /)]);

    // An operator object where an id belongs, in the body and in the path.
    await expectRefused(
      await raw('POST', '/integrations', body({ crmOrgId: { $ne: null } })),
      400,
      'invalid',
      /crmOrgId/,
    );
    await expectRefused(
      await raw('GET', `/integrations/${encodeURIComponent('{"$ne":null}')}/${bench.booksOrg}/production`),
      400,
      'invalid',
      /crmOrgId/,
    );
    await expectRefused(await raw('GET', `/integrations?crmOrgId=%24ne`), 400, 'invalid', /CRM org id/);
    await expectRefused(
      await raw('POST', `/integrations/${bench.crmOrg}/${bench.booksOrg}/%24where/sync`),
      400,
      'invalid',
      /environment/,
    );

    // Malformed JSON, a wrong body type, an unknown route, a wrong method.
    await expectRefused(
      await raw('POST', '/integrations', '{"crmOrgId": '),
      400,
      'invalid',
      /^malformed JSON: /,
    );
    await expectRefused(await raw('POST', '/integrations', '[]'), 400, 'invalid', /JSON object/);
    const text = await fetch(`${server.url}/integrations`, {
      method: 'POST',
      body: body({}),
      headers: { 'content-type': 'text/plain' },
    });
    await expectRefused(text, 415, 'invalid', /application\/json/);
    await expectRefused(await raw('GET', '/integrationz'), 404, 'not_found', /no route GET \/integrationz/);
    const wrongMethod = await raw('DELETE', path);
    await expectRefused(wrongMethod, 405, 'invalid', /DELETE is not allowed/);
    expect(wrongMethod.headers.get('allow')).toBe('GET');

    // Operations on an integration that was never enabled.
    await expectRefused(await raw('GET', path), 404, 'not_found', /enable it first/);
    await expectRefused(await raw('POST', `${path}/sync`), 404, 'not_found', /not running: enable it first/);

    // A wrong webhook token: 401, nothing signalled or audited.
    const note = { module: 'Accounts', ids: ['a1'], operation: 'update', channel_id: '7' };
    await expectRefused(
      await raw(
        'POST',
        `/webhooks/crm/${bench.crmOrg}`,
        JSON.stringify({ ...note, token: 'wrong-token-wrong' }),
      ),
      401,
      'unauthorized',
      /token is missing or does not match/,
    );

    // Nothing was written: no integration document, no workflow, no run, no audit entry.
    expect(await bench.deps.syncState.getIntegration(bench.integrationId)).toBeUndefined();
    expect(await bench.deps.syncState.listRuns(bench.integrationId, { limit: 10 })).toEqual([]);
    expect(await api.audit(null, {})).toEqual([]);
    await expect(
      bench.client.workflow.getHandle(`integration/${bench.integrationId}`).describe(),
    ).rejects.toThrow();
  });
});
