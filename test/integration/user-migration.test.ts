import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DocumentOperations, WriteDocumentInput } from '../../api/documents';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createIntegrationActivities } from '../../activities/integration';
import { financeGuardDepsOf, guardedDocuments } from '../../api/finance-guard';
import { migrationWindowWorkflowId, userMigrationWorkflowId } from '../../domain/ids';
import { may } from '../../domain/users/access';
import { integrationUserIdOf } from '../../domain/users/integration-users';
import type { UserMigrationInput } from '../../workflows/user-migration';
import type { userMigrationWorkflow } from '../../workflows/user-migration';
import { userMigrationProgressQuery } from '../../workflows/user-migration-messages';
import { integrationEndpoints } from '../helpers';
import { createSyncBench, type SyncBench } from './sync-harness';

/*
 * The user-migration batch on the real servers through the production wiring (issue 18): 1,000 users
 * migrated, a re-run that writes nothing, the org's limit, a new integration's users added at their first
 * finance action, and a worker process killed with SIGKILL mid-batch that loses and duplicates nobody.
 */

const idOf = (i: number) => `cu${String(i).padStart(5, '0')}`;

async function seedCrmUsers(bench: SyncBench, from: number, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => idOf(from + i));
  await bench.deps.crmStore.users.upsertMany(
    bench.crmOrg,
    ids.map((id) => ({
      id,
      data: { id, full_name: `User ${id}`, email: `${id}@example.test`, status: 'active' as const },
    })),
  );
  return ids;
}

function startBatch(bench: SyncBench, batchId: string, userIds: string[], windowSize?: number) {
  const args: UserMigrationInput = {
    crmOrgId: bench.crmOrg,
    booksOrgId: bench.booksOrg,
    batchId,
    userIds,
    actorId: 'test-admin',
    ...(windowSize !== undefined && { windowSize }),
  };
  return bench.client.workflow.start<typeof userMigrationWorkflow>('userMigrationWorkflow', {
    taskQueue: bench.taskQueue,
    workflowId: userMigrationWorkflowId(bench.booksOrg, batchId),
    args: [args],
  });
}

/** The org's Books user documents as stored: id, when last written, and whether deleted. */
async function booksUsers(bench: SyncBench) {
  const all = [];
  let cursor = null;
  do {
    const page = await bench.deps.booksStore.module('users').findChangedSince(bench.booksOrg, cursor, 5000);
    all.push(...page.records.map((r) => ({ id: r.id, at: r.modifiedTime.getTime(), deleted: r.deleted })));
    cursor = page.next;
  } while (cursor !== null);
  return all.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * The finance guard over document operations that only record what they are asked to write; with `addAtFirstUse`
 * it makes a new integration's users integration users at their first finance action, on the bench's worker.
 */
function recordingGuard(bench: SyncBench, addAtFirstUse: boolean) {
  const written: WriteDocumentInput[] = [];
  const batches = { temporal: bench.client, taskQueue: bench.taskQueue };
  const docs = guardedDocuments(
    {
      writeDocument: async (_ref, input) => {
        written.push(input);
        return { crmId: input.record.id, module: input.module, workflowId: 'w', written: 'inserted' };
      },
    } as DocumentOperations,
    financeGuardDepsOf(bench.deps, addAtFirstUse ? batches : undefined),
  );
  return { docs, written };
}

/** A fresh bench (databases, worker, task queue) for a describe block, closed after it. */
function useBench(): () => SyncBench {
  let bench: SyncBench | undefined;
  beforeAll(async () => {
    bench = await createSyncBench();
  });
  afterAll(async () => {
    await bench?.close();
  });
  return () => {
    if (!bench) throw new Error('the bench is not up yet');
    return bench;
  };
}

describe('user migration on the real servers', () => {
  const benchOf = useBench();

  it('migrates 1,000 users; a re-run writes nothing; the 1,001st is refused with the places left', async () => {
    const bench = benchOf();
    const ids = await seedCrmUsers(bench, 0, 1000);
    const first = await (await startBatch(bench, 'b1000', ids)).result();
    expect(first).toMatchObject({ status: 'completed', total: 1000, done: 1000, failed: 0, remaining: 0 });
    const stored = await booksUsers(bench);
    expect(stored.map((u) => u.id)).toEqual(ids.map(integrationUserIdOf));
    const listed = await bench.deps.integrationUsers.listIntegrationUsers(bench.booksOrg);
    expect(listed).toHaveLength(1000);
    expect(listed[0]).toMatchObject({ role: 'Integration User (CRM)', since: expect.any(String) });
    expect(await bench.deps.integrationUsers.maySignIn(bench.booksOrg, `${ids[0]}@example.test`)).toBe(false);

    const again = await (await startBatch(bench, 'b1000', ids)).result();
    expect(again).toMatchObject({ status: 'completed', done: 1000, failed: 0 });
    expect(await booksUsers(bench)).toEqual(stored);

    const [extra] = await seedCrmUsers(bench, 1000, 1);
    const over = await (await startBatch(bench, 'b-extra', [extra!])).result();
    expect(over.outcomes).toEqual([
      {
        crmUserId: extra,
        outcome: 'failed',
        reason: 'over the limit of 1,000 integration users per Books org: 0 places left',
      },
    ]);
    expect(await booksUsers(bench)).toEqual(stored);
  });
  it("a new integration's retried first enable starts no window; a user is added at their first finance action, within the limit", async () => {
    // After the test above: the org holds 1,000 integration users.
    const bench = benchOf();
    const { integrationUsers } = bench.deps;
    let crashes = 1;
    const enable = createIntegrationActivities({
      ...bench.deps,
      crm: {
        ...bench.deps.crm,
        // The worker dies after the integration is saved, before the enable ends: Temporal retries it.
        saveOrg: async (doc) => {
          if (crashes-- > 0) throw new Error('worker lost');
          return bench.deps.crm.saveOrg(doc);
        },
      },
    }).enableIntegration;
    const input = {
      integrationId: bench.integrationId,
      crmOrgId: bench.crmOrg,
      booksOrgId: bench.booksOrg,
      environment: 'production' as const,
      config: {
        customers: { module: 'accounts', extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
        vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
        items: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
      },
      actor: { id: 'test-admin' },
    };
    const env = new MockActivityEnvironment({ taskQueue: bench.taskQueue }, { client: bench.client });
    await expect(env.run(enable, input)).rejects.toThrow('worker lost');
    await env.run(enable, input);
    expect(await integrationUsers.getOnboarding(bench.booksOrg)).toBe('from_start');
    await expect(
      bench.client.workflow.getHandle(migrationWindowWorkflowId(bench.booksOrg)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // A CRM user without a Books role writes a quote: the org is full, so they are refused with the reason.
    const [newcomer] = await seedCrmUsers(bench, 2000, 1);
    const { docs, written } = recordingGuard(bench, true);
    const ref = { crmOrgId: bench.crmOrg, booksOrgId: bench.booksOrg, environment: 'production' as const };
    const quote = {
      module: 'Quotes' as const,
      record: { id: 'q-new', Subject: 'Q', Modified_By: { id: newcomer! } },
    };
    const over = 'over the limit of 1,000 integration users per Books org: 0 places left';
    await expect(docs.writeDocument(ref, quote)).rejects.toThrow(`and not made one: ${over})`);
    expect(written).toEqual([]);
    const refused = await bench.deps.syncState.queryAudit({ limit: 10_000 });
    expect(refused.filter((e) => e.payloadIds.includes(newcomer!)).map((e) => [e.action, e.detail])).toEqual(
      expect.arrayContaining([['user_migration.user', over]]),
    );

    // A place frees up: the next action makes them an integration user, and the quote is theirs.
    await integrationUsers.removeIntegrationUsers(bench.booksOrg, [idOf(0)]);
    await docs.writeDocument(ref, quote);
    expect(written[0]!.record).toMatchObject({
      Created_By: { id: newcomer, books_user_id: integrationUserIdOf(newcomer!) },
    });
    const listed = await integrationUsers.listIntegrationUsers(bench.booksOrg);
    expect(listed).toHaveLength(1000);
    expect(listed.find((u) => u.crmUserId === newcomer)).toMatchObject({ addedBy: `first-use-${newcomer}` });
  });
});

describe('who may do what, from the Books store', () => {
  const benchOf = useBench();

  it("a Books user's roles across products and an integration user's profile decide; removal deletes", async () => {
    const bench = benchOf();
    const { booksStore, integrationUsers } = bench.deps;
    const org = bench.booksOrg;
    await booksStore.saveRoles(org, [
      {
        role_id: 'sales',
        role_name: 'Sales',
        permissions: { invoices: { view: true, create: true, deniedFields: ['discount'] } },
      } as never,
      {
        role_id: 'buyer',
        role_name: 'Buyer',
        permissions: { purchaseorders: { view: true, create: true } },
      } as never,
    ]);
    await booksStore.module('users').upsertMany(org, [
      {
        id: 'bu-1',
        data: {
          user_id: 'bu-1',
          name: 'Bo Chen',
          email: 'bo@example.test',
          status: 'active',
          role_id: 'sales',
          other_product_roles: [{ product: 'inventory', role_id: 'buyer' }],
        } as never,
      },
    ]);
    const bo = await integrationUsers.actingUser(org, {
      userId: 'c-bo',
      name: 'Bo Chen',
      email: 'Bo@example.test',
    });
    expect(may(bo, 'create', 'invoices', ['date'])).toMatchObject({ allowed: true });
    expect(may(bo, 'create', 'purchaseorders')).toMatchObject({ allowed: true });
    expect(may(bo, 'edit', 'invoices', ['discount'])).toMatchObject({
      allowed: false,
      why: 'edit on invoices is not allowed by their roles (books: Sales; inventory: Buyer)',
    });
    expect(await integrationUsers.maySignIn(org, 'bo@example.test')).toBe(true);

    // A CRM user who already is a Books user is refused; another one becomes an integration user.
    await seedCrmUsers(bench, 0, 1);
    await bench.deps.crmStore.users.upsertMany(bench.crmOrg, [
      { id: 'c-bo', data: { id: 'c-bo', full_name: 'Bo Chen', email: 'bo@example.test', status: 'active' } },
    ]);
    const result = await (await startBatch(bench, 'b-mixed', [idOf(0), 'c-bo'])).result();
    expect(result.outcomes).toEqual([
      { crmUserId: idOf(0), outcome: 'migrated' },
      {
        crmUserId: 'c-bo',
        outcome: 'failed',
        reason: 'already a Books user (bo@example.test): a Books user cannot be an integration user',
      },
    ]);
    const ana = { userId: idOf(0), name: 'Ana', email: `${idOf(0)}@example.test` };
    expect(may(await integrationUsers.actingUser(org, ana), 'edit', 'salesorders')).toMatchObject({
      allowed: true,
    });
    await integrationUsers.setProfile(org, 'estimates_legacy');
    expect(may(await integrationUsers.actingUser(org, ana), 'edit', 'salesorders')).toMatchObject({
      allowed: false,
    });

    // A finance write from the CRM runs as the acting user: refused and audited, or stamped with them.
    const { docs, written } = recordingGuard(bench, false);
    const ref = { crmOrgId: bench.crmOrg, booksOrgId: org, environment: 'production' as const };
    const quote = (id: string, by: string) => ({ id, Subject: 'Q', Modified_By: { id: by, name: '' } });
    await expect(
      docs.writeDocument(ref, { module: 'Sales_Orders', record: quote('so-1', idOf(0)) }),
    ).rejects.toThrow(
      `User ${idOf(0)} (crm user ${idOf(0)}) may not create salesorders (fields subject): ` +
        'create on salesorders is not allowed by the integration user profile estimates_legacy',
    );
    await docs.writeDocument(ref, { module: 'Quotes', record: quote('q-1', idOf(0)) });
    expect(written).toHaveLength(1);
    expect(written[0]!.record).toMatchObject({
      Created_By: { id: idOf(0), books_user_id: integrationUserIdOf(idOf(0)) },
      Modified_By: { id: idOf(0), name: `User ${idOf(0)}` },
    });
    const finance = await bench.deps.syncState.queryAudit({ limit: 100 });
    expect(
      finance.filter((e) => e.action.startsWith('finance.')).map((e) => [e.actor.id, e.entity, e.outcome]),
    ).toEqual(
      expect.arrayContaining([
        [idOf(0), 'salesorders', 'failure'],
        [idOf(0), 'estimates', 'success'],
      ]),
    );

    expect(await integrationUsers.removeIntegrationUsers(org, [idOf(0), 'c-bo'])).toBe(1);
    expect(await integrationUsers.listIntegrationUsers(org)).toEqual([]);
    expect(await integrationUsers.actingUser(org, ana)).toMatchObject({ kind: 'none' });
  });
});

/** Lets a child process load the TypeScript sources as they are: each .ts file transpiled, not type-checked. */
const TS_HOOK = `
const fs = require('fs');
const ts = require(${JSON.stringify(require.resolve('typescript'))});
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
`;

/** The bench's worker in a process of its own (worker-process.ts), once it polls the bench's task queue. */
async function workerProcess(bench: SyncBench): Promise<ChildProcess> {
  const hook = path.join(await fs.mkdtemp(path.join(tmpdir(), 'cbs-worker-')), 'ts-hook.js');
  await fs.writeFile(hook, TS_HOOK);
  const { temporalAddress, mongoUri } = integrationEndpoints();
  const child = spawn(process.execPath, ['-r', hook, path.join(__dirname, 'worker-process.ts')], {
    env: {
      ...process.env,
      CBS_CRM_DB: bench.dbs.crm,
      CBS_BOOKS_DB: bench.dbs.books,
      CBS_SYNC_DB: bench.dbs.sync,
      CBS_TEST_MONGODB_URI: mongoUri,
      CBS_TEST_TEMPORAL_ADDRESS: temporalAddress,
      CBS_WORKER_TASK_QUEUE: bench.taskQueue,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('worker running')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`the worker process exited (${code}): ${stderr}`)));
  });
  return child;
}

/** SIGKILL: the process gets no chance to finish or report anything. */
async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('a worker process killed with SIGKILL mid-batch', () => {
  const benchOf = useBench();

  it('loses and duplicates nobody once a new worker finishes the batch', async () => {
    const bench = benchOf();
    const ids = await seedCrmUsers(bench, 0, 300);
    // The batch runs only on the worker process: the bench's own worker stops first.
    await bench.stopWorkers();
    const child = await workerProcess(bench);
    const handle = await startBatch(bench, 'b-kill', ids, 10);
    // Wait until some windows are done, then kill the worker in the middle of the batch.
    for (;;) {
      const p = await handle.query(userMigrationProgressQuery);
      if (p.windowsDone >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await killHard(child);
    const midway = (await booksUsers(bench)).length;
    expect(midway).toBeGreaterThan(0);
    expect(midway).toBeLessThan(300);

    await bench.startWorker();
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'completed', total: 300, done: 300, failed: 0, remaining: 0 });
    expect(new Set(result.outcomes.map((o) => o.crmUserId)).size).toBe(300);
    const stored = await booksUsers(bench);
    expect(stored.map((u) => u.id)).toEqual(ids.map(integrationUserIdOf));
    // One audit entry per user of the batch, whatever the retries.
    const audit = await bench.deps.syncState.queryAudit({ action: 'user_migration.user', limit: 10_000 });
    const mine = audit.filter((e) => e._id.startsWith(`user-migration|${bench.booksOrg}|b-kill|`));
    expect(mine).toHaveLength(300);
    await bench.recordHistory(
      'user-migration-worker-restart',
      userMigrationWorkflowId(bench.booksOrg, 'b-kill'),
    );
    // About a minute on an idle machine: the worker process transpiles and bundles the workflows, the killed
    // window is noticed only at its 15 s heartbeat timeout, and the new worker bundles again. Twice the
    // file's 120 s leaves room on this shared 2-core machine under load, where it once ran out.
  }, 240_000);
});
