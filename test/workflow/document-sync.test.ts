import type { Activities } from '../../activities';
import {
  createDocumentActivities,
  type Data,
  type DocumentDeps,
  type FollowDocumentInput,
  type FollowDocumentResult,
  type PushDocumentInput,
} from '../../activities/documents';
import type { PrepareSyncRunInput } from '../../activities/sync/types';
import type { LinkInput } from '../../domain/sync-state-schemas';
import type { RecordCollection, StoredRecord } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { DOCUMENT_CHANGED_SIGNAL, DOCUMENT_SYNC_WORKFLOW } from '../../domain/sync/documents/workflow-start';
import { documentSyncWorkflow } from '../../workflows';
import { documentChangedSignal, documentProgressQuery } from '../../workflows/document-messages';
import { BOOKS_ORG } from '../unit/domain/finance/books-org';
import { unique, useTimeSkippingEnv } from '../helpers';

const suite = useTimeSkippingEnv();

type DocumentActivities = Pick<
  Activities,
  | 'readDocumentDependencies'
  | 'pushDocument'
  | 'followDocument'
  | 'prepareSyncRun'
  | 'syncStep'
  | 'finishSyncRun'
>;
const noCounts = { added: 0, matched: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 };
const ref = { integrationId: 'c1/b1/production', crmModule: 'Invoices' as const, crmId: 'inv1' };

/** The CRM version the fake push reads. */
const PUSHED_VERSION = '2026-12-01T10:00:00.000Z';

/**
 * Fake activities: an invoice whose account is not in Books until a dependency run has brought it, pushed
 * (version PUSHED_VERSION), whose Books reads return `reads` in turn, then the last one for ever.
 */
function fakeDocument(reads: FollowDocumentResult[], calls: string[]): DocumentActivities {
  let read = 0;
  let accountInBooks = false;
  return {
    async readDocumentDependencies() {
      calls.push('readDocumentDependencies');
      return {
        ok: true,
        kind: 'invoice',
        targets: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }],
      };
    },
    async prepareSyncRun(input) {
      calls.push(`prepareSyncRun ${input.targets?.map((t) => `${t.kind}:${t.ids.join(',')}`).join(' ')}`);
      return { ok: true, steps: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }] };
    },
    async syncStep(input) {
      calls.push(`syncStep ${input.step.kind}`);
      return { next: null, counts: noCounts, records: 1 };
    },
    async finishSyncRun() {
      calls.push('finishSyncRun');
      accountInBooks = true;
      return { status: 'completed', counts: {}, failureCount: 0 };
    },
    async pushDocument(input) {
      if (!accountInBooks && input.askForDependencies) {
        calls.push('pushDocument: the account first');
        return { ok: false, dependencies: [{ kind: 'account', direction: 'crm_to_books', ids: ['a1'] }] };
      }
      calls.push('pushDocument');
      return {
        ok: true,
        booksId: 'b-inv1',
        created: true,
        status: 'sent',
        final: false,
        version: PUSHED_VERSION,
      };
    },
    async followDocument() {
      const result = reads[Math.min(read, reads.length - 1)]!;
      read++;
      calls.push(`followDocument ${result.status}`);
      return result;
    },
  };
}

/** Starts the invoice's workflow with a quiet period of an hour: the tests signal it while it follows. */
const startForAnHour = (taskQueue: string, workflowId: string) =>
  suite.env.client.workflow.start(documentSyncWorkflow, {
    taskQueue,
    workflowId,
    args: [{ ...ref, quietPeriodMs: 3600_000 }],
  });

describe('documentSyncWorkflow (time-skipping)', () => {
  it('is signalled-with-start by the names the poller activity uses', () => {
    expect(documentSyncWorkflow.name).toBe(DOCUMENT_SYNC_WORKFLOW);
    expect(documentChangedSignal.name).toBe(DOCUMENT_CHANGED_SIGNAL);
  });

  it('syncs the customer first, pushes, follows an invoice sent -> partially paid -> paid and completes', async () => {
    const taskQueue = unique('tq');
    const calls: string[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: fakeDocument(
        [
          { ok: true, status: 'sent', final: false, changed: false },
          { ok: true, status: 'partially_paid', final: false, changed: true },
          { ok: true, status: 'paid', final: true, changed: true },
        ],
        calls,
      ),
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(documentSyncWorkflow, {
        taskQueue,
        workflowId: unique('txn'),
        args: [ref],
      }),
    );
    expect(result).toEqual({ ended: 'final', booksId: 'b-inv1', status: 'paid' });
    expect(calls).toEqual([
      'pushDocument: the account first',
      'prepareSyncRun account:a1',
      'syncStep account',
      'finishSyncRun',
      'pushDocument',
      'followDocument sent',
      'followDocument partially_paid',
      'followDocument paid',
    ]);
  });

  it('completes when nothing changes for the quiet period, reading Books less and less often', async () => {
    const taskQueue = unique('tq');
    const calls: string[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: fakeDocument([{ ok: true, status: 'sent', final: false, changed: false }], calls),
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(documentSyncWorkflow, {
        taskQueue,
        workflowId: unique('txn'),
        args: [{ ...ref, quietPeriodMs: 3600_000, pollMs: 60_000, maxPollMs: 600_000 }],
      }),
    );
    expect(result).toEqual({ ended: 'idle', booksId: 'b-inv1', status: 'sent' });
    // 1 + 2 + 4 + 8 minutes, then every 10 minutes until the hour is up: 9 reads, not 60.
    expect(calls.filter((c) => c.startsWith('followDocument'))).toHaveLength(9);
  });

  it('pushes again on every change signalled while it follows', async () => {
    const taskQueue = unique('tq');
    const calls: string[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: fakeDocument([{ ok: true, status: 'sent', final: false, changed: false }], calls),
    });
    const workflowId = unique('txn');
    await worker.runUntil(async () => {
      const handle = await startForAnHour(taskQueue, workflowId);
      await suite.env.sleep(30_000);
      await handle.signal(documentChangedSignal, { source: 'api' });
      await suite.env.sleep(1_000);
      expect(await handle.query(documentProgressQuery)).toMatchObject({
        pushes: 2,
        changes: 1,
        phase: 'following',
      });
      expect(await handle.result()).toMatchObject({ ended: 'idle' });
    });
    expect(calls.filter((c) => c === 'pushDocument')).toHaveLength(2);
  });

  it('lets a change go whose version it pushed already, also one received while that push ran', async () => {
    const taskQueue = unique('tq');
    const calls: string[] = [];
    const fake = fakeDocument([{ ok: true, status: 'sent', final: false, changed: false }], calls);
    const workflowId = unique('txn');
    let signalDuringPush = true;
    const worker = await suite.worker({
      taskQueue,
      activities: {
        ...fake,
        async pushDocument(input: PushDocumentInput) {
          const pushed = await fake.pushDocument(input);
          // The poller sees the same write while the push is on its way.
          if (pushed.ok && signalDuringPush) {
            signalDuringPush = false;
            await suite.env.client.workflow
              .getHandle(workflowId)
              .signal(documentChangedSignal, { source: 'poller', version: PUSHED_VERSION });
          }
          return pushed;
        },
      },
    });
    await worker.runUntil(async () => {
      const handle = await startForAnHour(taskQueue, workflowId);
      await suite.env.sleep(30_000);
      expect(await handle.query(documentProgressQuery)).toMatchObject({ pushes: 1, staleChanges: 1 });
      // Once pushed: an older version is let go at once, a newer one and one naming none are pushed.
      await handle.signal(documentChangedSignal, { source: 'poller', version: '2026-11-30T00:00:00.000Z' });
      await suite.env.sleep(1_000);
      expect(await handle.query(documentProgressQuery)).toMatchObject({ pushes: 1, staleChanges: 2 });
      await handle.signal(documentChangedSignal, { source: 'poller', version: '2026-12-02T00:00:00.000Z' });
      await suite.env.sleep(1_000);
      expect(await handle.query(documentProgressQuery)).toMatchObject({ pushes: 2, staleChanges: 2 });
      await handle.signal(documentChangedSignal, { source: 'api' });
      await suite.env.sleep(1_000);
      expect(await handle.query(documentProgressQuery)).toMatchObject({ pushes: 3, changes: 3 });
      // Nothing outlives the test: later tests skip time on the same server.
      expect(await handle.result()).toMatchObject({ ended: 'idle' });
    });
    expect(calls.filter((c) => c === 'pushDocument')).toHaveLength(3);
  });

  it('reads a document only a write changes when Books changes, and keeps its history', async () => {
    const taskQueue = unique('tq');
    const calls: string[] = [];
    const fake = fakeDocument([{ ok: true, status: 'partially_paid', final: false, changed: true }], calls);
    const worker = await suite.worker({
      taskQueue,
      activities: {
        ...fake,
        async prepareSyncRun(input: PrepareSyncRunInput) {
          calls.push(`trigger ${input.trigger}`);
          return fake.prepareSyncRun(input);
        },
        async pushDocument(input: PushDocumentInput) {
          return { ...(await fake.pushDocument(input)), followAt: null };
        },
        async followDocument(input: FollowDocumentInput) {
          return { ...(await fake.followDocument(input)), followAt: null };
        },
      },
    });
    const workflowId = unique('txn');
    await worker.runUntil(async () => {
      const handle = await startForAnHour(taskQueue, workflowId);
      await suite.env.sleep(1800_000);
      expect(calls.filter((c) => c.startsWith('followDocument'))).toEqual([]);
      await handle.signal(documentChangedSignal, { source: 'books' });
      await suite.env.sleep(1_000);
      const progress = await handle.query(documentProgressQuery);
      expect(progress).toMatchObject({ pushes: 1, polls: 1, status: 'partially_paid' });
      expect(progress.history?.map((h) => h.what)).toEqual(['dependency_run', 'push', 'follow']);
      expect(progress.history?.[0]).toMatchObject({ runId: expect.stringContaining(`${workflowId}/deps/`) });
      expect(progress.history?.[2]).toMatchObject({ cause: 'books', changed: true });
      expect(await handle.result()).toMatchObject({ ended: 'idle', status: 'partially_paid' });
      // Once ended, the history is read from its memo.
      const { memo } = await handle.describe();
      expect((memo?.history as unknown[]).length).toBe(3);
    });
    expect(calls).toContain('trigger dependency');
    expect(calls.filter((c) => c.startsWith('followDocument'))).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------------------
// The real push activity over in-memory stores, with a crash between the Books write and the link write

/** An in-memory record collection: what pushDocument and followDocument use of one. */
function memoryCollection(): RecordCollection<Data> & { rows: Map<string, StoredRecord<Data>> } {
  const rows = new Map<string, StoredRecord<Data>>();
  let tick = 0;
  const store = (org: string, id: string, data: Data) =>
    rows.set(id, {
      id,
      org,
      data,
      deleted: false,
      normName: '',
      modifiedTime: new Date(Date.UTC(2026, 0, 1, 0, 0, ++tick)),
    });
  const used: Pick<RecordCollection<Data>, 'findByIds' | 'upsertMany' | 'patchMany'> = {
    async findByIds(_org, ids) {
      return ids.flatMap((id) => rows.get(id) ?? []);
    },
    async upsertMany(org, records) {
      for (const r of records) store(org, r.id, r.data);
      return { inserted: records.length, updated: 0, unchanged: 0 };
    },
    async patchMany(org, patches) {
      for (const p of patches) store(org, p.id, p.data);
      return { updated: patches.length, unchanged: 0, stale: [] };
    },
  };
  return Object.assign(used as RecordCollection<Data>, { rows });
}

function memoryDeps(crashLinkWrites: number) {
  const crm = memoryCollection();
  const books = memoryCollection();
  const links: LinkInput[] = [
    {
      integrationId: ref.integrationId,
      entity: 'customer',
      crmModule: 'Accounts',
      crmId: 'a1',
      booksId: 'c1',
      lastSynced: { crm: {}, books: {} },
      contentHash: {},
    },
    {
      integrationId: ref.integrationId,
      entity: 'item',
      crmModule: 'Products',
      crmId: 'p1',
      booksId: 'i1',
      lastSynced: { crm: {}, books: {} },
      contentHash: {},
    },
  ];
  let crashes = crashLinkWrites;
  const syncState = {
    async getIntegration() {
      return {
        _id: ref.integrationId,
        crmOrgId: 'c1',
        booksOrgId: 'b1',
        status: 'active',
        config: {
          transactionSync: true,
          customers: { module: 'accounts', extent: 'fetch_from_crm' },
          vendors: { extent: 'fetch_from_crm' },
          items: { extent: 'fetch_from_crm' },
        },
      };
    },
    async findLinkIdentitiesByCrmIdsOf(_i: string, wanted: { entity: string; crmIds: readonly string[] }[]) {
      return links.filter((l) => wanted.some((w) => w.entity === l.entity && w.crmIds.includes(l.crmId)));
    },
    async findLinksByCrmIds(_i: string, entity: string, crmIds: readonly string[]) {
      return links.filter((l) => l.entity === entity && crmIds.includes(l.crmId));
    },
    async upsertLinks(input: LinkInput[]) {
      if (crashes-- > 0) throw new Error('the worker died between the Books write and the link write');
      links.push(...input.filter((l) => !links.some((k) => k.entity === l.entity && k.crmId === l.crmId)));
      return { inserted: input.length, updated: 0, unchanged: 0, conflicts: [] };
    },
    getFailures: async () => [],
    recordFailures: async () => ({ recorded: 1 }),
    markFailuresResolved: async () => 0,
  } as unknown as SyncStateStore;
  const deps: DocumentDeps = {
    syncState,
    crm: { records: () => crm },
    financeBooks: {
      records: () => books,
      orgSettings: async () => BOOKS_ORG,
      paymentsOf: async () => [],
      invoicesOf: async () => [],
    },
    now: () => new Date('2026-12-07T12:00:00Z'),
  };
  crm.rows.set('inv1', {
    id: 'inv1',
    org: 'c1',
    deleted: false,
    normName: '',
    modifiedTime: new Date('2026-12-01T00:00:00Z'),
    data: {
      id: 'inv1',
      Subject: 'INV for Acme',
      Account_Name: { id: 'a1', name: 'Acme' },
      Invoice_Date: '2026-12-01',
      Invoiced_Items: [{ Product_Name: { id: 'p1', name: 'Widget' }, Quantity: 2, List_Price: 12.5 }],
    },
  });
  return { deps, crm, books, links };
}

describe('documentSyncWorkflow with the real push activity (time-skipping)', () => {
  it('a retry after a crash between the Books write and the link write creates no second document', async () => {
    const taskQueue = unique('tq');
    const { deps, crm, books, links } = memoryDeps(1);
    const real = createDocumentActivities(deps);
    const pushes: boolean[] = [];
    const worker = await suite.worker({
      taskQueue,
      activities: {
        ...real,
        async pushDocument(input: PushDocumentInput) {
          const pushed = await real.pushDocument(input);
          if (pushed.ok) pushes.push(pushed.created);
          return pushed;
        },
      },
    });
    const result = await worker.runUntil(
      suite.env.client.workflow.execute(documentSyncWorkflow, {
        taskQueue,
        workflowId: unique('txn'),
        args: [{ ...ref, quietPeriodMs: 60_000 }],
      }),
    );
    expect(result).toMatchObject({ ended: 'idle', status: 'draft' });
    expect(books.rows.size).toBe(1);
    const [doc] = [...books.rows.values()];
    expect(doc!.data).toMatchObject({ customer_id: 'c1', total: 25, balance: 25, status: 'draft' });
    // The attempt that wrote the document crashed; the retry found it and did not create it again.
    expect(pushes).toEqual([false]);
    expect(links.filter((l) => l.entity === 'invoice')).toEqual([
      expect.objectContaining({ crmId: 'inv1', booksId: doc!.id }),
    ]);
    expect(crm.rows.get('inv1')!.data).toMatchObject({
      Books_Id: doc!.id,
      Status: 'draft',
      Grand_Total: 25,
      Balance: 25,
    });
  });
});
