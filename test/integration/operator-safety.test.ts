import { execFile, spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { startHttpServer } from '../../api/http';
import { createOperations, type OperationsDeps } from '../../api/operations';
import { OperationError, type SyncOperations } from '../../api/types';
import { createSyncClient } from '../../client/sync-client';
import { integrationEndpoints, unique } from '../helpers';
import { INTEGRATION_CONFIG as config, account, until } from './integration-fixtures';
import { createSyncBench, type SyncBench } from './sync-harness';

/**
 * Issue 15 §1–2 on the real servers: with no worker, every command refuses within 5 s saying how to start
 * one (operations, HTTP 503, typed client, CLI status 3); a request given up while no worker took it is never
 * applied later; configuration keys are strict, with the key probably meant; pause and resume are changes of
 * status, not of the configuration version; every accepted configuration change is audited with its diff.
 */

const ROOT = path.join(__dirname, '..', '..');
const HINT = /no worker is running: start it with `npm start`/;
const exec = promisify(execFile);

jest.setTimeout(120_000);

describe('operators: fail fast, act only when asked, strict configuration', () => {
  let bench: SyncBench;
  let ops: SyncOperations;
  let ref: { crmOrgId: string; booksOrgId: string; environment: 'production' };

  const opsOn = (taskQueue: string, extra: Partial<OperationsDeps> = {}) =>
    createOperations({
      temporal: bench.client,
      taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      ...extra,
    });

  beforeEach(async () => {
    bench = await createSyncBench();
    ops = opsOn(bench.taskQueue);
    ref = { crmOrgId: bench.crmOrg, booksOrgId: bench.booksOrg, environment: 'production' };
  });
  afterAll(async () => {
    const cli = await cliBuild?.catch(() => undefined);
    if (cli) await fs.rm(path.dirname(path.dirname(cli)), { recursive: true, force: true });
  });
  afterEach(async () => {
    await bench.client.workflow
      .getHandle(`integration/${bench.integrationId}`)
      .terminate('test over')
      .catch(() => undefined);
    await bench?.close();
  });

  /** How long `work` took to fail, and with what. */
  async function failure(work: () => Promise<unknown>): Promise<{ err: OperationError; ms: number }> {
    const t0 = Date.now();
    const err = await work().then(
      () => new Error('it succeeded'),
      (e: unknown) => e,
    );
    if (!(err instanceof OperationError)) throw err;
    return { err, ms: Date.now() - t0 };
  }

  const actions = (entries: { action: string }[]) => entries.map((e) => e.action);

  it('with no worker polling, refuses queries and updates within 5 s with the hint (ops, HTTP 503, client, CLI 3)', async () => {
    await bench.crm('Accounts').put([account('a1', 'Acme')]);
    await ops.enable({ ...ref, config, syncNow: false });
    // The same integration seen from a task queue no worker polls (as after `npm start` was stopped).
    const noWorkerQueue = unique('no-worker-tq');
    const stranded = opsOn(noWorkerQueue);
    const attempts: [string, () => Promise<unknown>][] = [
      ['status', () => stranded.get(ref)],
      ['pause', () => stranded.pause(ref)],
      ['sync', () => stranded.syncNow(ref)],
      ['configure', () => stranded.configure(ref, { config })],
      ['fetch', () => stranded.fetchRecord(ref, { module: 'customers', crmId: 'a1' })],
    ];
    for (const [what, work] of attempts) {
      const { err, ms } = await failure(work);
      expect({ what, kind: err.kind }).toEqual({ what, kind: 'no_worker' });
      expect(err.message).toMatch(HINT);
      expect(ms).toBeLessThan(5_000);
    }

    await withHttpApi(stranded, async (url) => {
      const t0 = Date.now();
      const res = await fetch(`${url}/integrations/${bench.crmOrg}/${bench.booksOrg}/production/pause`, {
        method: 'POST',
      });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: { kind: string; message: string } };
      expect(body.error.kind).toBe('no_worker');
      expect(body.error.message).toMatch(HINT);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const client = await failure(() => createSyncClient(url).syncNow(ref));
      expect(client.err.kind).toBe('no_worker');
      expect(client.err.message).toMatch(HINT);
    });

    // Nothing of it reached the integration.
    expect(await bench.deps.syncState.getIntegration(bench.integrationId)).toMatchObject({
      status: 'active',
      version: 1,
    });
    expect(actions(await ops.audit(ref, {}))).toEqual(['integration.enabled']);

    // The CLI, in its own process: status 3 and the hint on stderr. Its answer is bounded like the operations'
    // above (under 5 s); the process adds its own start-up (Node, the SDK, the connections: 2-3 s here, more
    // while the suite's servers are busy), so the bound here is 10 s: it answers, it does not hang.
    const cli = await compiledCli();
    const { temporalAddress, mongoUri } = integrationEndpoints();
    const env = {
      ...process.env,
      NODE_PATH: path.join(ROOT, 'node_modules'),
      TEMPORAL_ADDRESS: temporalAddress,
      MONGODB_URI: mongoUri,
      CBS_CRM_DB: bench.dbs.crm,
      CBS_BOOKS_DB: bench.dbs.books,
      CBS_SYNC_DB: bench.dbs.sync,
      CBS_TASK_QUEUE: noWorkerQueue,
    };
    for (const cmd of ['status', 'pause', 'sync']) {
      const t0 = Date.now();
      const r = await runCli(cli, ['integrations', cmd, bench.crmOrg, bench.booksOrg], env);
      expect({ cmd, code: r.code, stdout: r.stdout }).toEqual({ cmd, code: 3, stdout: '' });
      expect(r.stderr).toMatch(HINT);
      expect(Date.now() - t0).toBeLessThan(10_000);
    }
  });

  it('a pause given up while no worker ran is not applied when the worker starts again: refused and audited', async () => {
    const impatient = opsOn(bench.taskQueue, { waits: { acceptMs: 3_000 } });
    await impatient.enable({ ...ref, config, syncNow: false });
    // The worker stops; it still counts as seen for a minute or so, so the pause is sent — and nobody takes it.
    await bench.stopWorkers();
    const { err, ms } = await failure(() => impatient.pause(ref, { actor: { id: 'ops@zylker.test' } }));
    expect(err.kind).toBe('no_worker');
    expect(err.message).toMatch(
      /^no worker took the pause request within 3 s, so it was not applied, and it will not be later \(its deadline was \S+\): no worker is running/,
    );
    expect(ms).toBeLessThan(6_000);

    // The worker is back: the pause reaches the workflow after its deadline, and is refused there.
    await bench.startWorker();
    const [expired] = await until('the expired pause in the audit', async () => {
      const found = await ops.audit(ref, { action: 'integration.request_expired' });
      return found.length > 0 ? found : undefined;
    });
    expect(expired).toMatchObject({
      actor: { type: 'user', id: 'ops@zylker.test' },
      outcome: 'failure',
      detail: expect.stringMatching(
        /^the pause request sent at \S+ arrived at \S+, after its deadline \S+: its caller had stopped waiting, so it was not applied$/,
      ),
    });
    const view = await ops.get(ref);
    expect(view.integration).toMatchObject({ status: 'active', configVersion: 1 });
    expect(view.workflow).toMatchObject({ status: 'active' });
    expect(actions(await ops.audit(ref, {}))).not.toContain('integration.paused');
    // An operator who asks again, with the worker up, gets the pause.
    expect((await ops.pause(ref)).status).toBe('paused');
  });

  it('refuses a misspelled configuration key with the key meant (ops, HTTP, client, CLI), changing nothing', async () => {
    await ops.enable({ ...ref, config, syncNow: false });
    const typo = { ...config, periodicSyncMinute: 30 };
    const nested = { ...config, customers: { ...config.customers, includeOrphanContact: true } };

    const viaOps = await failure(() => ops.configure(ref, { config: typo }));
    expect(viaOps.err.kind).toBe('invalid');
    expect(viaOps.err.issues).toEqual([
      'config.periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?',
    ]);
    const atEnable = await failure(() => ops.enable({ ...ref, config: nested as never, syncNow: true }));
    expect(atEnable.err.issues).toEqual([
      'config.customers.includeOrphanContact: unknown key; did you mean includeOrphanContacts?',
    ]);
    const request = await failure(() => ops.configure(ref, { config, syncnow: true } as never));
    expect(request.err.issues).toEqual(['syncnow: unknown key; did you mean syncNow?']);

    await withHttpApi(ops, async (url) => {
      const res = await fetch(`${url}/integrations/${bench.crmOrg}/${bench.booksOrg}/production/config`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ config: typo }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { kind: string; message: string; issues: string[] } };
      expect(body.error.issues).toEqual([
        'config.periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?',
      ]);
      const viaClient = await failure(() => createSyncClient(url).configure(ref, { config: nested }));
      expect(viaClient.err.kind).toBe('invalid');
      expect(viaClient.err.message).toMatch(/did you mean includeOrphanContacts\?/);
    });

    // The CLI checks the file before it connects anywhere: status 2, the key meant on stderr.
    const dir = await fs.mkdtemp(path.join(tmpdir(), 'cbs-typo-'));
    try {
      const file = path.join(dir, 'config.json');
      await fs.writeFile(file, JSON.stringify(typo));
      const r = await runCli(
        await compiledCli(),
        ['integrations', 'configure', bench.crmOrg, bench.booksOrg, '--config', file],
        { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      );
      expect(r).toEqual({
        code: 2,
        stdout: '',
        stderr:
          `error: invalid configuration in ${file}:\n` +
          '  periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?\n',
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }

    expect((await ops.get(ref)).integration).toMatchObject({ configVersion: 1 });
    expect(actions(await ops.audit(ref, {}))).toEqual(['integration.enabled']);
  });

  it('pause and resume keep the configuration version; a change moves it and is audited with its diff', async () => {
    await ops.enable({ ...ref, config, syncNow: false });
    const version = async () => {
      const view = await ops.get(ref);
      return { doc: view.integration.configVersion, workflow: view.workflow?.configVersion };
    };
    expect(await version()).toEqual({ doc: 1, workflow: 1 });
    expect((await ops.pause(ref)).configVersion).toBe(1);
    expect(await version()).toEqual({ doc: 1, workflow: 1 });
    expect((await ops.get(ref)).integration.status).toBe('paused');
    expect((await ops.resume(ref)).configVersion).toBe(1);
    expect(await version()).toEqual({ doc: 1, workflow: 1 });

    // The same configuration again: nothing changes, nothing is audited.
    expect(await ops.configure(ref, { config })).toMatchObject({ configVersion: 1 });
    const changed = {
      ...config,
      periodicSyncMinutes: 30,
      customers: { ...config.customers, extent: 'fetch_from_crm' as const },
    };
    expect(await ops.configure(ref, { config: changed })).toMatchObject({ configVersion: 2 });
    expect((await ops.pause(ref)).configVersion).toBe(2);
    expect(await version()).toEqual({ doc: 2, workflow: 2 });

    // Disabled and enabled again as it was: statuses again, the version stays.
    await ops.disable(ref);
    await ops.enable({ ...ref, config: changed, syncNow: false });
    expect(await version()).toEqual({ doc: 2, workflow: 2 });

    const entries = await ops.audit(ref, {});
    expect(actions(entries).reverse()).toEqual([
      'integration.enabled',
      'integration.paused',
      'integration.resumed',
      'integration.configured',
      'integration.paused',
      'integration.disabled',
      'integration.re_enabled',
    ]);
    expect(entries.find((e) => e.action === 'integration.configured')?.detail).toBe(
      'config version 1 → 2: customers.extent: "both_ways" → "fetch_from_crm"; periodicSyncMinutes: 120 → 30',
    );
    // The runs record the configuration version in force: still 2.
    await ops.syncNow(ref);
    const run = await until('run 1', async () => {
      const [r] = await ops.history(ref, { limit: 1 });
      return r && r.status !== 'running' ? r : undefined;
    });
    expect(run.configVersion).toBe(2);
  });
});

/** The HTTP API over `operations` on a free port while `work` runs. */
async function withHttpApi(operations: SyncOperations, work: (url: string) => Promise<void>): Promise<void> {
  const server = await startHttpServer({
    operations,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
  });
  try {
    await work(server.url);
  } finally {
    await server.close();
  }
}

let cliBuild: Promise<string> | undefined;

/**
 * The CLI compiled without type checking into a temp dir (once per file), so it runs as a user runs it, in
 * its own process; its packages are found through NODE_PATH.
 */
function compiledCli(): Promise<string> {
  cliBuild ??= (async () => {
    const out = await fs.mkdtemp(path.join(tmpdir(), 'cbs-cli-build-'));
    await exec(
      process.execPath,
      [
        require.resolve('typescript/bin/tsc'),
        '-p',
        path.join(ROOT, 'tsconfig.build.json'),
        '--outDir',
        out,
        '--noCheck',
        '--sourceMap',
        'false',
      ],
      { cwd: ROOT },
    );
    return path.join(out, 'cli', 'main.js');
  })();
  return cliBuild;
}

function runCli(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`crm-books-sync ${args.join(' ')} did not exit in 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
