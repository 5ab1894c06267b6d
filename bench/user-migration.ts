import { MongoClient } from 'mongodb';
import type { Client } from '@temporalio/client';
import { historyLengths } from '../client';
import { userMigrationWorkflowId } from '../domain/ids';
import { integrationUserIdOf, INTEGRATION_ROLE } from '../domain/users/integration-users';
import { MAX_BATCH_USERS, slicesOf, type MigrationProgress } from '../domain/users/migration';
import type { LoadedConfig } from '../workers/config';
import type { startWorker } from '../workers/service';
import type { userMigrationWorkflow } from '../workflows/user-migration';

/*
 * `npm run bench -- user-migration [--n N] [--json]`: N CRM users (default 1,000, issue 18's figure) moved to
 * integration users by userMigrationWorkflow on the real servers, batch after batch of up to 1,000; then the
 * same batches again, which must write nothing. Baseline: inserting the same N Books user documents with the
 * driver. Targets: ≤ 30 s for 1,000 users, ≤ 2,000 history events per execution.
 */

type Running = Awaited<ReturnType<typeof startWorker>>;

/** What bench/run.ts lends the scenario: the configuration of a bench's own databases, its worker start and clean-up. */
export interface BenchHelpers {
  benchConfig(tag: string): LoadedConfig;
  startBenchWorker(
    config: LoadedConfig,
    temporal: string,
    mongoUri: string,
  ): Promise<{ running: Running; client: Client }>;
  dropBenchDatabases(mongoUri: string, tag: string): Promise<void>;
}

const CRM_ORG = 'bench-crm';
const BOOKS_ORG = 'bench-books';

const userIdOf = (i: number) => `bu${String(i).padStart(7, '0')}`;

/** N active CRM users with emails, and the Books org they join. */
async function seed(running: Running, n: number): Promise<string[]> {
  const { crmStore, booksStore } = running.deps;
  await booksStore.saveOrganization({
    organization_id: BOOKS_ORG,
    name: 'Bench Books',
    currency_code: 'USD',
  });
  const ids = Array.from({ length: n }, (_, i) => userIdOf(i));
  for (const slice of slicesOf(ids, 1000))
    await crmStore.users.upsertMany(
      CRM_ORG,
      slice.map((id) => ({
        id,
        data: { id, full_name: `Bench User ${id}`, email: `${id}@example.test`, status: 'active' as const },
      })),
    );
  return ids;
}

/** Runs every batch of the users, one after the other; their wall time, outcomes and history lengths. */
async function migrateAll(client: Client, taskQueue: string, ids: string[]) {
  const t0 = Date.now();
  const results: MigrationProgress[] = [];
  const events: number[] = [];
  for (const [index, userIds] of slicesOf(ids, MAX_BATCH_USERS).entries()) {
    const batchId = `bench-${index + 1}`;
    const workflowId = userMigrationWorkflowId(BOOKS_ORG, batchId);
    const handle = await client.workflow.start<typeof userMigrationWorkflow>('userMigrationWorkflow', {
      taskQueue,
      workflowId,
      args: [{ crmOrgId: CRM_ORG, booksOrgId: BOOKS_ORG, batchId, userIds, actorId: 'bench' }],
    });
    results.push(await handle.result());
    events.push(...(await historyLengths(client, workflowId, handle.firstExecutionRunId)));
  }
  const wallMs = Date.now() - t0;
  const count = (outcome: string) =>
    results.reduce((sum, r) => sum + r.outcomes.filter((o) => o.outcome === outcome).length, 0);
  const counts = { migrated: count('migrated'), already: count('already_migrated'), failed: count('failed') };
  return { wallMs, counts, events };
}

/** Baseline: the same Books user documents inserted with the driver alone, in one insertMany. */
async function baselineMs(mongoUri: string, tag: string, ids: string[]): Promise<number> {
  const m = await MongoClient.connect(mongoUri);
  try {
    const docs = ids.map((id) => ({
      _id: `${BOOKS_ORG}|${integrationUserIdOf(id)}`,
      org: BOOKS_ORG,
      data: {
        user_id: integrationUserIdOf(id),
        name: `Bench User ${id}`,
        email: `${id}@example.test`,
        status: 'active',
        role_id: INTEGRATION_ROLE.role_id,
        crm_user_id: id,
        can_sign_in: false,
      },
    }));
    const t0 = Date.now();
    await m
      .db(`${tag}_baseline`)
      .collection<{ _id: string }>('books_users')
      .insertMany(docs, { ordered: false });
    return Date.now() - t0;
  } finally {
    await m.close();
  }
}

const perSecond = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000);

export function userMigrationScenario(helpers: BenchHelpers) {
  return {
    describe:
      'N CRM users migrated to integration users by userMigrationWorkflow (batches of up to 1,000), then re-run (must write nothing), vs inserting the same Books user documents with the driver',
    defaultN: 1_000,
    async run({ n, temporal, mongoUri }: { n: number; temporal: string; mongoUri: string }) {
      const tag = `bench_users_${Date.now()}`;
      const config = helpers.benchConfig(tag);
      const { running, client } = await helpers.startBenchWorker(config, temporal, mongoUri);
      try {
        const ids = await seed(running, n);
        const taskQueue = config.app.temporal.taskQueue;
        const first = await migrateAll(client, taskQueue, ids);
        const again = await migrateAll(client, taskQueue, ids);
        const stored = await running.deps.integrationUsers.listIntegrationUsers(BOOKS_ORG);
        if (first.counts.migrated !== n || stored.length !== n)
          throw new Error(
            `expected ${n} integration users, migrated ${first.counts.migrated}, stored ${stored.length}`,
          );
        const base = await baselineMs(mongoUri, tag, ids);
        return {
          n,
          ours: { wallMs: first.wallMs, perSecond: perSecond(n, first.wallMs) },
          baseline: {
            name: 'driver insertMany of the Books user documents',
            wallMs: base,
            perSecond: perSecond(n, base),
          },
          ratio: Math.round((first.wallMs / Math.max(base, 1)) * 10) / 10,
          historyEventsPerExecution: first.events,
          runs: [
            { runNumber: 1, wallMs: first.wallMs, counts: first.counts },
            { runNumber: 2, wallMs: again.wallMs, counts: again.counts },
          ],
        };
      } finally {
        await client.connection.close();
        await running.shutdown();
        await helpers.dropBenchDatabases(mongoUri, tag);
      }
    },
  };
}
