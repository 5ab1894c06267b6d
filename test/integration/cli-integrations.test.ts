import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkerOptions } from '@temporalio/worker';
import { testWorkflowBundle } from '../setup/workflow-bundle';
import type { IntegrationView, RunView } from '../../api/types';
import { connectClient } from '../../client/temporal';
import { integrationIdOf } from '../../domain/sync-state-schemas';
import { loadConfig } from '../../workers/config';
import { createDeps, type Deps } from '../../workers/deps';
import { createWorker } from '../../workers/worker';
import type { IntegrationStatus } from '../../workflows/messages';
import { integrationEndpoints, unique } from '../helpers';
import { INTEGRATION_CONFIG, account } from './integration-fixtures';

/**
 * `crm-books-sync integrations …` as a user runs it: the real CLI (cli/main.ts) in its own process, against
 * fresh databases and a task queue served by a worker in this process, on the real servers.
 */

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'cli', 'main.ts');
const CACHE = path.join(tmpdir(), 'crm-books-sync-cli-test-cache');

/**
 * Runs the TypeScript CLI without a build: a require hook transpiling each .ts file (isolated modules), cached
 * by content so later processes start in about a second. Writes are atomic (rename), as processes run in
 * parallel.
 */
const HOOK = `
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const cacheDir = ${JSON.stringify(CACHE)};
fs.mkdirSync(cacheDir, { recursive: true });
let ts;
require.extensions['.ts'] = function (module, filename) {
  const src = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha1').update(filename).update('\\0').update(src).digest('hex');
  const cached = path.join(cacheDir, key + '.js');
  let code;
  try {
    code = fs.readFileSync(cached, 'utf8');
  } catch {
    ts = ts || require(${JSON.stringify(require.resolve('typescript'))});
    code = ts.transpileModule(src, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        inlineSourceMap: true,
      },
    }).outputText;
    const tmp = cached + '.' + process.pid + '.tmp';
    fs.writeFileSync(tmp, code);
    fs.renameSync(tmp, cached);
  }
  module._compile(code, filename);
};
`;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

const contact = (id: string, first: string, last: string, accountId: string) => ({
  id,
  First_Name: first,
  Last_Name: last,
  Email: `${first.toLowerCase()}.${last.toLowerCase()}@example.com`,
  Account_Name: { id: accountId, name: `Account ${accountId}` },
});

const CONFIG = INTEGRATION_CONFIG;

jest.setTimeout(90_000);

describe('crm-books-sync integrations (the CLI) on the real servers', () => {
  const { temporalAddress, mongoUri } = integrationEndpoints();
  let dir: string;
  let hook: string;
  let workflowBundle: WorkerOptions['workflowBundle'];

  // Per test: fresh databases, task queue, orgs and a worker on that queue.
  let tag: string;
  let env: NodeJS.ProcessEnv;
  let deps: Deps;
  let client: Client;
  let connection: NativeConnection;
  let worker: { worker: Worker; run: Promise<void> } | undefined;
  let crmOrg: string;
  let booksOrg: string;
  let integrationId: string;

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(tmpdir(), 'cbs-cli-'));
    hook = path.join(dir, 'ts-hook.js');
    await fs.writeFile(hook, HOOK);
    await fs.writeFile(path.join(dir, 'config.json'), JSON.stringify(CONFIG, null, 2));
    await fs.writeFile(
      path.join(dir, 'bad-extent.json'),
      JSON.stringify({ ...CONFIG, items: { extent: 'sideways', duplicatePolicy: 'clone' } }),
    );
    await fs.writeFile(path.join(dir, 'malformed.json'), '{"customers": {"module": "accounts",');
    workflowBundle = await testWorkflowBundle();
    // The first run transpiles the CLI's modules into the cache; later runs start in about a second.
    await run(['integrations', '--help'], process.env);
  }, 90_000);

  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    tag = unique('cli').replace(/-/g, '_');
    const dbs = { CBS_CRM_DB: `${tag}_crm`, CBS_BOOKS_DB: `${tag}_books`, CBS_SYNC_DB: `${tag}_sync` };
    const taskQueue = unique('cli-tq');
    env = {
      ...process.env,
      ...dbs,
      CBS_TASK_QUEUE: taskQueue,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      MONGODB_URI: mongoUri,
    };
    const config = loadConfig(env);
    deps = await createDeps({ ...config.app.mongo, uri: mongoUri });
    client = await connectClient({
      connect: config.temporalConnect,
      address: temporalAddress,
      namespace: 'default',
    });
    connection = await NativeConnection.connect({ address: temporalAddress });
    const w = await createWorker({ connection, namespace: 'default', taskQueue, deps, workflowBundle });
    worker = { worker: w, run: w.run() };

    crmOrg = unique('crm');
    booksOrg = unique('books');
    integrationId = integrationIdOf(crmOrg, booksOrg, 'production');
    await deps.crmStore.saveOrg({
      id: crmOrg,
      company_name: 'Zylker Inc',
      edition: 'ENTERPRISE',
      mc_status: true,
      iso_code: 'USD',
    });
    await deps.booksStore.saveOrganization({
      organization_id: booksOrg,
      name: 'Zylker Books',
      currency_code: 'USD',
      email: 'books@zylker.test',
      country: 'U.S.A',
    });
    await deps.booksStore.saveCurrencies(booksOrg, [
      { currency_id: 'c-usd', currency_code: 'USD', price_precision: 2, is_base_currency: true },
    ]);
    await deps.crmStore.module('Accounts').upsertMany(
      crmOrg,
      [account('a1', 'Acme'), account('a2', 'Globex')].map((data) => ({ id: data.id, data })),
    );
    await deps.crmStore
      .module('Contacts')
      .upsertMany(crmOrg, [{ id: 'c1', data: contact('c1', 'Wile', 'Coyote', 'a1') }]);
  });

  afterEach(async () => {
    await client?.workflow
      .getHandle(`integration/${integrationId}`)
      .terminate('test over')
      .catch(() => undefined);
    if (worker?.worker.getState() === 'RUNNING') worker.worker.shutdown();
    await worker?.run.catch(() => undefined);
    worker = undefined;
    await connection?.close();
    await client?.connection.close();
    for (const suffix of ['crm', 'books', 'sync']) await deps?.mongo.db(`${tag}_${suffix}`).dropDatabase();
    await deps?.close();
  });

  /** Runs the CLI in its own process; fails the test if the process does not exit by itself. */
  function run(args: string[], withEnv: NodeJS.ProcessEnv = env, ms = 60_000): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-r', hook, CLI, ...args], {
        cwd: ROOT,
        env: withEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`crm-books-sync ${args.join(' ')} did not exit in ${ms} ms\n${stdout}\n${stderr}`));
      }, ms);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** `integrations <cmd> <crmOrg> <booksOrg> …`. */
  const int = (cmd: string, ...rest: string[]) => run(['integrations', cmd, crmOrg, booksOrg, ...rest]);
  const json = <T>(r: CliResult): T => {
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(r.stdout) as T; // exactly one document: a second one would not parse
  };

  /**
   * Waits for run n to finish, then reads it through `history`. The wait polls the runs the CLI reads in this
   * process: polling through the CLI started a process (a second or more of CPU) every half second.
   */
  async function waitForRun(n: number): Promise<RunView> {
    const end = Date.now() + 60_000;
    const finished = (last: { runNumber: number; status: string } | undefined) =>
      last !== undefined && last.runNumber >= n && last.status !== 'running';
    while (!finished((await deps.syncState.listRuns(integrationId, { limit: 1 }))[0])) {
      if (Date.now() > end) throw new Error(`run ${n} did not finish`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const [last] = json<RunView[]>(await int('history', '--json', '--limit', '1'));
    expect(finished(last)).toBe(true);
    return last!;
  }

  it('enables from a config file and syncs; pause refuses `sync` (status 2); resume lets it run', async () => {
    const enabled = await int('enable', '--config', path.join(dir, 'config.json'));
    expect(enabled).toMatchObject({ code: 0, stderr: '' });
    expect(enabled.stdout).toBe(
      `enabled ${integrationId}: active, two_way, configuration version 1; the first sync is queued now\n`,
    );

    const first = await waitForRun(1);
    expect(first).toMatchObject({ runNumber: 1, trigger: 'initial', status: 'completed' });
    expect(first.counts.customers?.crm_to_books).toMatchObject({ added: 2 });

    const [view, statusText, historyText] = await Promise.all([
      int('status', '--json'),
      int('status'),
      int('history'),
    ]);
    expect(json<IntegrationView>(view)).toMatchObject({
      integration: { integrationId, status: 'active', direction: 'two_way', configVersion: 1 },
      workflow: { status: 'active', running: null, lastRun: { runNumber: 1, status: 'completed' } },
    });
    expect(statusText.code).toBe(0);
    expect(statusText.stdout).toMatch(/^integration +\S+\/\S+\/production$/m);
    expect(statusText.stdout).toMatch(/^status +active$/m);
    expect(statusText.stdout).toMatch(/^last run +#1 initial completed, /m);
    expect(statusText.stdout).toMatch(
      /^next sync +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(periodic, every 120 min\)$/m,
    );
    expect(historyText.code).toBe(0);
    const [header, , row] = historyText.stdout.split('\n');
    expect(header?.split(/ +/)).toEqual([
      'run',
      'trigger',
      'status',
      'started',
      'ended',
      'added',
      'matched',
      'updated',
      'unchanged',
      'skipped',
      'failed',
      'reason',
    ]);
    expect(row).toMatch(/^1 +initial +completed +\S+ \S+ +\S+ \S+ +2 +0 +0 +\d+ +0 +0$/);

    expect(json<IntegrationStatus>(await int('pause', '--json'))).toMatchObject({ status: 'paused' });
    const refused = await int('sync');
    expect(refused).toEqual({
      code: 2,
      stdout: '',
      stderr: 'error: cannot sync now: the integration is paused; resume it first\n',
    });
    // Nothing was queued, nothing ran.
    expect(json<IntegrationView>(await int('status', '--json')).workflow).toMatchObject({
      status: 'paused',
      runsStarted: 1,
      pendingInstantSync: false,
      running: null,
    });
    expect(await deps.syncState.listRuns(integrationId, { limit: 10 })).toHaveLength(1);

    await deps.crmStore.module('Accounts').upsertMany(crmOrg, [{ id: 'a3', data: account('a3', 'Initech') }]);
    expect(await int('resume')).toMatchObject({
      code: 0,
      stdout: `resumed ${integrationId}: it is active\n`,
    });
    const synced = json<{ runNumber: number; run: RunView }>(await int('sync', '--wait', '--json'));
    expect(synced).toMatchObject({
      queued: true,
      runNumber: 2,
      run: { runNumber: 2, trigger: 'instant', status: 'completed' },
    });
    expect(synced.run.counts.customers?.crm_to_books).toMatchObject({ added: 1 });
    const runs = await deps.syncState.listRuns(integrationId, { limit: 10 });
    expect(runs.map((r) => [r.runNumber, r.status])).toEqual([
      [2, 'completed'],
      [1, 'completed'],
    ]);
  });

  it('the record commands: run, failures, reprocess, search, fetch, import, books-contacts, list, audit', async () => {
    // An account in a currency Books does not have: it fails every time (S9.6), the others sync.
    await deps.crmStore
      .module('Accounts')
      .upsertMany(crmOrg, [{ id: 'a9', data: { ...account('a9', 'Euro GmbH'), Currency: 'EUR' } }]);
    expect((await int('enable', '--config', path.join(dir, 'config.json'))).code).toBe(0);
    expect(await waitForRun(1)).toMatchObject({ status: 'completed_with_failures', failureCount: 1 });

    const [runOne, failures, search, books, list, audit] = await Promise.all([
      int('run', '1', '--json'),
      int('failures', '--json', '--status', 'open'),
      int('search', 'acm', '--json'),
      int('books-contacts', '--json'),
      run(['int', 'list', crmOrg, '--json']),
      int('audit', '--json'),
    ]);
    expect(json(runOne)).toMatchObject({
      runNumber: 1,
      status: 'completed_with_failures',
      failures: [{ recordId: 'a9', field: 'Currency', status: 'open' }],
    });
    const [failure] = json<{ failureId: string; recordId: string }[]>(failures);
    expect(failure).toMatchObject({
      recordId: 'a9',
      failureId: `${integrationId}|customers|crm_to_books|a9`,
    });
    expect(json(search)).toEqual([
      expect.objectContaining({
        crmModule: 'Accounts',
        crmId: 'a1',
        name: 'Acme',
        booksId: expect.any(String),
        contacts: [{ crmId: 'c1', name: 'Wile Coyote', email: 'wile.coyote@example.com' }],
      }),
    ]);
    expect(
      json<{ crmId: string }[]>(books)
        .map((b) => b.crmId)
        .sort(),
    ).toEqual(['a1', 'a2']);
    expect(json(list)).toEqual([expect.objectContaining({ integrationId, status: 'active' })]);
    expect(json<{ action: string }[]>(audit).map((a) => a.action)).toContain('integration.enabled');

    // Targeted runs: a record linked now (0); a failure that fails again (4, listed as still failing).
    const [fetched, reprocessed] = await Promise.all([
      int('fetch', '--module', 'customers', '--crm-id', 'a2', '--json'),
      int('reprocess', '--id', failure!.failureId),
    ]);
    expect(json(fetched)).toMatchObject({ crmModule: 'Accounts', crmId: 'a2', booksId: expect.any(String) });
    expect(reprocessed).toMatchObject({ code: 4, stderr: '' });
    expect(reprocessed.stdout).toMatch(
      /^reprocessed 1 failure\(s\) in run \S+ \(completed_with_failures\): 0 resolved, 1 still failing, 0 not retried\n/,
    );
    expect(reprocessed.stdout).toContain('currency EUR is not enabled in Books');

    const [imported, missingRun, nothingChosen] = await Promise.all([
      // A Contacts record under an accounts-only configuration is not synced: refused.
      int('import', '--crm-module', 'Contacts', '--crm-id', 'c1'),
      int('run', '99'),
      int('reprocess'),
    ]);
    expect(imported).toMatchObject({ code: 2, stdout: '' });
    expect(imported.stderr).toMatch(/^error: .*Contacts records are not synced/);
    expect(missingRun).toMatchObject({ code: 2, stderr: `error: no run 99 of ${integrationId}\n` });
    expect(nothingChosen).toMatchObject({
      code: 2,
      stderr: 'error: give exactly one of --id, --module or --all\n',
    });
  });

  it('refuses bad input with status 2 and a clear message, and writes nothing', async () => {
    const cfg = (name: string) => path.join(dir, name);
    const results = await Promise.all([
      run(['int', 'enable', 'nope', booksOrg, '--config', cfg('config.json')]),
      int('enable', '--config', cfg('bad-extent.json')),
      int('enable', '--config', cfg('malformed.json')),
      int('enable', '--config', cfg('missing.json')),
      run(['int', 'enable', '{"$ne":null}', booksOrg, '--config', cfg('config.json')]),
      run(['int', 'status', '{"$ne":null}', booksOrg]),
      int('enable', '--config', cfg('config.json'), '--env', 'staging'),
      int('history', '--limit', 'lots'),
      int('status'),
      int('sync'),
      run(['int', 'status', crmOrg]),
    ]);
    const [unknownOrg, badField, malformed, missing, injection, injectionStatus, badEnv, badLimit] = results;
    const [notEnabled, syncNotEnabled, usage] = results.slice(8);
    for (const r of results) expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });

    expect(unknownOrg!.stderr).toBe('error: CRM org nope is not known\n');
    expect(badField!.stderr).toBe(
      `error: invalid configuration in ${cfg('bad-extent.json')}:\n` +
        '  items.extent: Invalid option: expected one of "fetch_from_crm"|"both_ways"\n',
    );
    expect(malformed!.stderr).toMatch(
      new RegExp(`^error: the configuration file ${cfg('malformed.json')} is not valid JSON: `),
    );
    expect(missing!.stderr).toMatch(
      new RegExp(`^error: cannot read the configuration file ${cfg('missing.json')}: ENOENT`),
    );
    for (const r of [injection, injectionStatus])
      expect(r!.stderr).toBe(
        'error: invalid integration:\n  crmOrgId: must be 1-128 letters, digits, ".", "_", ":" or "-"\n',
      );
    expect(badEnv!.stderr).toMatch(/^error: invalid integration:\n {2}environment: /);
    expect(badLimit!.stderr).toMatch(/^error: invalid history query:\n {2}limit: /);
    expect(notEnabled!.stderr).toBe(`error: no integration ${integrationId}: enable it first\n`);
    expect(syncNotEnabled!.stderr).toBe(
      `error: integration ${integrationId} is not running: enable it first\n`,
    );
    expect(usage!.stderr).toMatch(/missing required argument 'booksOrg'/);

    // Nothing was written: no integration, no audit entry, no workflow.
    const sync = deps.mongo.db(`${tag}_sync`);
    expect(await sync.collection('integrations').countDocuments()).toBe(0);
    expect(await sync.collection('audit').countDocuments()).toBe(0);
    for (const id of [`integration/${integrationId}`, `integration/nope/${booksOrg}/production`])
      await expect(client.workflow.getHandle(id).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });
});
