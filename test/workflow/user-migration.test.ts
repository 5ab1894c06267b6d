import { WorkflowClient, WorkflowFailedError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Activities } from '../../activities';
import {
  requestMigrationTurn,
  type FindFinanceUsersInput,
  type MigrateUsersWindowInput,
  type RecordUserMigrationInput,
} from '../../activities/users';
import { migrationTurnsWorkflowId } from '../../domain/ids';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { planAdditions, type CandidateUser } from '../../domain/users/integration-users';
import {
  financeUsersIn,
  migrationOutcomeOf,
  migrationWindowEnd,
  type UsageEntry,
} from '../../domain/users/migration';
import { migrationWindowWorkflow, userMigrationWorkflow } from '../../workflows';
import {
  migrateNowSignal,
  migrationWindowQuery,
  pauseMigrationSignal,
  resumeMigrationSignal,
  userMigrationProgressQuery,
} from '../../workflows/user-migration-messages';
import { unique, useTimeSkippingEnv } from '../helpers';

// The time-skipping server refuses search attributes it does not know but accepts their registration.
const suite = useTimeSkippingEnv(async (env) => {
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
  });
});

// The org's turns workflow outlives a test by a task; left running on a stopped worker's queue it would hold
// the next test's batches (every test's org is books-1).
afterEach(async () => {
  await realTime()
    .getHandle(migrationTurnsWorkflowId('books-1'))
    .terminate('test over')
    .catch(() => undefined);
});

/**
 * A client over the suite's server whose result waits leave time skipping locked (the environment's own client
 * unlocks it while it waits). Unlocked, the server jumps to the next timeout whenever no activity holds the
 * lock, such as between a batch's windows, and expires the tasks in flight. So batches run in real time, and a
 * test moves server time only on purpose, with `suite.env.sleep`.
 */
function realTime(): WorkflowClient {
  return new WorkflowClient({ connection: suite.env.connection, namespace: suite.env.namespace });
}

type UserActivities = Pick<
  Activities,
  'migrateUsersWindow' | 'findFinanceUsers' | 'recordUserMigration' | 'requestMigrationTurn'
>;

/**
 * Fake user activities over an in-memory Books org, deciding with the real rule (domain/users). `gate`
 * holds a window (by its number, from 1) until released, so a test can act while it is in flight.
 */
function fakeOrg(options: {
  crmUsers: CandidateUser[];
  audit?: (UsageEntry & { at: string })[];
  /** A pause between a window's read of the org and its write, as a database's latency would leave. */
  writeLatencyMs?: number;
}) {
  const crm = new Map(options.crmUsers.map((u) => [u.crmUserId, u]));
  const integrationUsers = new Map<string, string>();
  const windows: MigrateUsersWindowInput[] = [];
  const ends: RecordUserMigrationInput[] = [];
  const finds: FindFinanceUsersInput[] = [];
  const gates = new Map<number, { opened: Promise<void>; open: () => void; reached: () => void }>();
  const reached = new Map<number, Promise<void>>();
  const inFlight = { now: 0, most: 0 };

  function gate(windowNumber: number) {
    let open!: () => void;
    let arrive!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    reached.set(windowNumber, new Promise<void>((resolve) => (arrive = resolve)));
    gates.set(windowNumber, { opened, open, reached: arrive });
    return { open, reached: reached.get(windowNumber)! };
  }

  const activities: UserActivities = {
    async migrateUsersWindow(input) {
      windows.push(input);
      const held = gates.get(windows.length);
      if (held) {
        held.reached();
        await held.opened;
      }
      inFlight.most = Math.max(inFlight.most, ++inFlight.now);
      const plan = planAdditions(input.userIds, crm, {
        booksUserEmails: new Set(['taken@example.com']),
        integrationUserIds: new Set(integrationUsers.keys()),
      });
      if (options.writeLatencyMs) await new Promise((r) => setTimeout(r, options.writeLatencyMs));
      inFlight.now--;
      for (const p of plan) if (p.outcome === 'added') integrationUsers.set(p.crmUserId, input.batchId);
      return { outcomes: plan.map(migrationOutcomeOf) };
    },
    async findFinanceUsers(input) {
      finds.push(input);
      const inWindow = (options.audit ?? []).filter((e) => e.at >= input.from && e.at < input.to);
      return { userIds: financeUsersIn(inWindow) };
    },
    async recordUserMigration(input) {
      ends.push(input);
    },
    requestMigrationTurn,
  };
  return { activities, integrationUsers, windows, ends, finds, gate, inFlight };
}

const crmUser = (n: number, over: Partial<CandidateUser> = {}): CandidateUser => ({
  crmUserId: `u${n}`,
  name: `User ${n}`,
  email: `u${n}@example.com`,
  active: true,
  ...over,
});
const usersUpTo = (count: number) => Array.from({ length: count }, (_, i) => crmUser(i + 1));

function batchArgs(batchId: string, userIds: string[], windowSize = 10) {
  return { crmOrgId: 'crm-1', booksOrgId: 'books-1', batchId, userIds, actorId: 'admin-1', windowSize };
}

/** A batch of `count` users in windows of 10 on a worker of its own, window `held` held until opened. */
async function heldBatch(
  batchId: string,
  count: number,
  held: number,
  searchAttributes?: Record<string, string[]>,
) {
  const taskQueue = unique('tq');
  const org = fakeOrg({ crmUsers: usersUpTo(count) });
  const gate = org.gate(held);
  const worker = await suite.worker({ taskQueue, activities: org.activities });
  const start = () =>
    realTime().start(userMigrationWorkflow, {
      taskQueue,
      workflowId: unique('user-migration'),
      args: [
        batchArgs(
          batchId,
          usersUpTo(count).map((u) => u.crmUserId),
        ),
      ],
      ...(searchAttributes && { searchAttributes }),
    });
  return { org, gate, worker, start };
}

describe('userMigrationWorkflow (time-skipping)', () => {
  it('migrates a batch window by window; a user who cannot be migrated is an outcome with its reason', async () => {
    const taskQueue = unique('tq');
    const users = [...usersUpTo(24), crmUser(25, { email: '' }), crmUser(26, { email: 'taken@example.com' })];
    const org = fakeOrg({ crmUsers: users });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    const ids = users.map((u) => u.crmUserId);
    const result = await worker.runUntil(
      realTime().execute(userMigrationWorkflow, {
        taskQueue,
        workflowId: unique('user-migration'),
        args: [batchArgs('b1', [...ids, 'u1'])],
      }),
    );
    expect(org.windows.map((w) => w.userIds.length)).toEqual([10, 10, 6]);
    expect(result).toMatchObject({ status: 'completed', total: 26, done: 24, failed: 2, remaining: 0 });
    expect(result.outcomes.filter((o) => o.outcome === 'failed')).toEqual([
      { crmUserId: 'u25', outcome: 'failed', reason: 'the CRM user has no email address' },
      {
        crmUserId: 'u26',
        outcome: 'failed',
        reason: 'already a Books user (taken@example.com): a Books user cannot be an integration user',
      },
    ]);
    expect(org.integrationUsers.size).toBe(24);
    expect(org.ends).toEqual([
      expect.objectContaining({ status: 'completed', done: 24, failed: 2, remaining: 0 }),
    ]);
  });

  it('refuses a batch of more than 1,000 users, saying to split it', async () => {
    const taskQueue = unique('tq');
    const org = fakeOrg({ crmUsers: [] });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    const ids = Array.from({ length: 1001 }, (_, i) => `u${i}`);
    const run = worker.runUntil(
      realTime().execute(userMigrationWorkflow, {
        taskQueue,
        workflowId: unique('user-migration'),
        args: [batchArgs('big', ids)],
      }),
    );
    await expect(run).rejects.toThrow(WorkflowFailedError);
    await expect(run.catch((e: WorkflowFailedError) => e.cause?.message)).resolves.toBe(
      'a batch takes at most 1,000 users, this one has 1,001: split it into 2 batches of up to 1,000',
    );
    expect(org.windows).toEqual([]);
  });

  it('pause mid-batch stops after the window in flight; progress answers; resume continues', async () => {
    const {
      org,
      gate: second,
      worker,
      start,
    } = await heldBatch('b-pause', 40, 2, {
      BooksOrg: ['books-1'],
      SyncStatus: ['running'],
    });
    await worker.runUntil(async () => {
      const handle = await start();
      await second.reached;
      expect(await handle.query(userMigrationProgressQuery)).toMatchObject({
        status: 'running',
        windowsDone: 1,
        done: 10,
        remaining: 30,
      });
      await handle.signal(pauseMigrationSignal);
      second.open();
      let progress = await handle.query(userMigrationProgressQuery);
      while (progress.status !== 'paused') progress = await handle.query(userMigrationProgressQuery);
      // The window in flight finished; the next one did not start.
      expect(progress).toMatchObject({ windowsDone: 2, done: 20, failed: 0, remaining: 20 });
      await suite.env.sleep('1 hour');
      expect(org.windows).toHaveLength(2);
      expect((await handle.describe()).searchAttributes).toMatchObject({ SyncStatus: ['paused'] });

      await handle.signal(resumeMigrationSignal);
      const result = await handle.result();
      expect(result).toMatchObject({ status: 'completed', done: 40, remaining: 0, windowsDone: 4 });
      expect(org.windows).toHaveLength(4);
      expect((await handle.describe()).searchAttributes).toMatchObject({
        BooksOrg: ['books-1'],
        SyncStatus: ['completed'],
      });
    });
  });

  it('cancel lets the window in flight finish, then stops with a consistent record', async () => {
    const { org, gate: second, worker, start } = await heldBatch('b-cancel', 40, 2);
    await worker.runUntil(async () => {
      const handle = await start();
      await second.reached;
      await handle.cancel();
      second.open();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    });
    // Every user of the two windows that ran is migrated and counted; the others are untouched.
    expect(org.windows).toHaveLength(2);
    expect([...org.integrationUsers.keys()]).toEqual(usersUpTo(20).map((u) => u.crmUserId));
    expect(org.ends).toEqual([
      expect.objectContaining({ status: 'cancelled', done: 20, failed: 0, remaining: 20 }),
    ]);
  });

  it('cancelled while paused, it stops without another window', async () => {
    const { org, gate: first, worker, start } = await heldBatch('b-pause-cancel', 30, 1);
    await worker.runUntil(async () => {
      const handle = await start();
      await first.reached;
      await handle.signal(pauseMigrationSignal);
      first.open();
      while ((await handle.query(userMigrationProgressQuery)).status !== 'paused');
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    });
    expect(org.windows).toHaveLength(1);
    expect(org.ends).toEqual([expect.objectContaining({ status: 'cancelled', done: 10, remaining: 20 })]);
  });

  it('two batches started at once on one org take turns and never together pass the 1,000 limit', async () => {
    const taskQueue = unique('tq');
    const org = fakeOrg({ crmUsers: usersUpTo(1200), writeLatencyMs: 20 });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    const ids = usersUpTo(1200).map((u) => u.crmUserId);
    const batch = (batchId: string, userIds: string[]) =>
      realTime().execute(userMigrationWorkflow, {
        taskQueue,
        workflowId: unique('user-migration'),
        args: [batchArgs(batchId, userIds, 200)],
      });
    const results = await worker.runUntil(
      Promise.all([batch('b-one', ids.slice(0, 600)), batch('b-two', ids.slice(600))]),
    );
    // One window of the org at a time: the second batch read the org only after the first had written.
    expect(org.inFlight.most).toBe(1);
    expect(org.integrationUsers.size).toBe(1000);
    const failed = results.flatMap((r) => r.outcomes.filter((o) => o.outcome === 'failed'));
    expect(failed).toHaveLength(200);
    expect(new Set(failed.map((o) => o.reason))).toEqual(
      new Set(['over the limit of 1,000 integration users per Books org: 0 places left']),
    );
    expect(results.map((r) => r.done).sort()).toEqual([400, 600]);
  });

  it('re-running a batch migrates nobody twice', async () => {
    const taskQueue = unique('tq');
    const org = fakeOrg({ crmUsers: usersUpTo(15) });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    const ids = usersUpTo(15).map((u) => u.crmUserId);
    const workflowId = unique('user-migration');
    const [first, again] = await worker.runUntil(async () => {
      const one = await realTime().execute(userMigrationWorkflow, {
        taskQueue,
        workflowId,
        args: [batchArgs('b-again', ids)],
      });
      const two = await realTime().execute(userMigrationWorkflow, {
        taskQueue,
        workflowId,
        args: [batchArgs('b-again', ids)],
      });
      return [one, two];
    });
    expect(first).toMatchObject({ done: 15, failed: 0 });
    expect(again.outcomes.every((o) => o.outcome === 'already_migrated')).toBe(true);
    expect(org.integrationUsers.size).toBe(15);
  });
});

describe('migrationWindowWorkflow (time-skipping)', () => {
  const DAY = 24 * 3_600_000;
  /** The audit log of a window that starts at `start`, as days after it. */
  function auditFrom(start: number) {
    const at = (days: number) => new Date(start + days * DAY).toISOString();
    // u1 and u3 used the finance modules in the window; u2 only accounts; u4 after the window closed.
    return [
      { at: at(10), actor: { type: 'user', id: 'u1' }, entity: 'invoices', outcome: 'success' },
      { at: at(20), actor: { type: 'user', id: 'u2' }, entity: 'accounts', outcome: 'success' },
      { at: at(50), actor: { type: 'user', id: 'u3' }, entity: 'estimates', outcome: 'failure' },
      { at: at(51), actor: { type: 'workflow', id: 'sync' }, entity: 'invoices', outcome: 'success' },
      { at: at(120), actor: { type: 'user', id: 'u4' }, entity: 'invoices', outcome: 'success' },
    ];
  }

  it('after its 3-month durable timer migrates only the users who used the finance modules', async () => {
    const taskQueue = unique('tq');
    const start = Number(await suite.env.currentTimeMs());
    const startedAt = new Date(start).toISOString();
    const endsAt = migrationWindowEnd(startedAt);
    const batchId = `auto-${endsAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-1`;
    const org = fakeOrg({ crmUsers: usersUpTo(4), audit: auditFrom(start) });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    const wallStart = Date.now();
    await worker.runUntil(async () => {
      const handle = await realTime().start(migrationWindowWorkflow, {
        taskQueue,
        workflowId: unique('user-migration-window'),
        args: [{ crmOrgId: 'crm-1', booksOrgId: 'books-1', integrationId: 'int-1', startedAt }],
      });
      expect(await handle.query(migrationWindowQuery)).toMatchObject({ phase: 'waiting', endsAt });
      // Server time jumps past the window's end; the batch then runs in real time.
      await suite.env.sleep(Date.parse(endsAt) - start);
      const result = await handle.result();
      expect(result).toEqual({
        endedAt: endsAt,
        financeUsers: 2,
        batches: [{ batchId, done: 2, failed: 0 }],
      });
    });
    expect(org.finds).toEqual([{ integrationId: 'int-1', from: startedAt, to: endsAt }]);
    expect([...org.integrationUsers.keys()]).toEqual(['u1', 'u3']);
    expect(org.windows[0]).toMatchObject({ batchId, actorId: 'migration-window/books-1' });
    // The timer's three months passed in server time, in seconds of wall time.
    expect(Number(await suite.env.currentTimeMs()) - start).toBeGreaterThanOrEqual(89 * DAY);
    expect(Date.now() - wallStart).toBeLessThan(60_000);
  });

  it("the admin's early request ends the window at once", async () => {
    const taskQueue = unique('tq');
    const org = fakeOrg({
      crmUsers: usersUpTo(4),
      audit: auditFrom(Number(await suite.env.currentTimeMs()) - 15 * DAY),
    });
    const worker = await suite.worker({ taskQueue, activities: org.activities });
    await worker.runUntil(async () => {
      const start = Number(await suite.env.currentTimeMs());
      const startedAt = new Date(start - 15 * DAY).toISOString();
      const handle = await realTime().start(migrationWindowWorkflow, {
        taskQueue,
        workflowId: unique('user-migration-window'),
        args: [{ crmOrgId: 'crm-1', booksOrgId: 'books-1', startedAt }],
      });
      await handle.signal(migrateNowSignal);
      const result = await handle.result();
      expect(Date.parse(result.endedAt)).toBeLessThan(start + DAY);
      // Only u1 had used the finance modules by then.
      expect(result).toMatchObject({ financeUsers: 1, batches: [expect.objectContaining({ done: 1 })] });
    });
    expect([...org.integrationUsers.keys()]).toEqual(['u1']);
  });
});
