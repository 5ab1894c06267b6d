import { EJSON } from 'bson';
import type { CommandStartedEvent, Document } from 'mongodb';
import { createSandboxOperations } from '../../api/sandbox';
import { syncRunWorkflowId } from '../../domain/ids';
import { environmentOfOrg } from '../../domain/sandbox';
import { integrationIdOf } from '../../domain/sync-state-schemas';
import type { SyncRunResult } from '../../workflows/sync-run';
import { unique } from '../helpers';
import { createSyncBench, totals, type SyncBench } from './sync-harness';

/*
 * Sandbox data is separate (issue 19, item 9): on the same servers and databases, a production integration
 * and the sandbox integration of its orgs' sandboxes, both with records under the same record ids. The
 * sandbox's run is watched through the driver's command monitoring: every command it sends names the sandbox
 * orgs or the sandbox integration and none names production's, and a snapshot of every production document
 * is the same after it. The sandbox's records carry their environment: the sync state (runs, links, cursors,
 * audit) under the integration id `{crm}/{books}/sandbox`, the CRM and Books records under the sandbox orgs,
 * whose settings carry the sandbox mark.
 */

const account = (n: number) => ({
  id: `a${n}`,
  Account_Name: `Separate Account ${n}`,
  Phone: `+1 555 ${1000 + n}`,
  Currency: 'USD',
});
const product = (n: number) => ({
  id: `p${n}`,
  Product_Name: `Separate Product ${n}`,
  Product_Code: `SP-${n}`,
  Unit_Price: 10 + n,
  Product_Active: true,
});

/** A command as the server got it, without the session and database fields every command carries. */
function commandText(e: CommandStartedEvent): string {
  const command = Object.entries(e.command as Document).filter(([key]) => key !== 'lsid' && key !== '$db');
  return EJSON.stringify(Object.fromEntries(command));
}

describe('a sandbox integration leaves production untouched (real servers)', () => {
  let bench: SyncBench;
  const events: CommandStartedEvent[] = [];
  let watching = false;
  const crmSandbox = unique('crmsbx');
  const booksSandbox = unique('bookssbx');
  const sandboxId = integrationIdOf(crmSandbox, booksSandbox, 'sandbox');

  beforeAll(async () => {
    // The worker's client reports its commands; the URI is this file's own (jest copies the env per file).
    const uri = process.env.CBS_TEST_MONGODB_URI!;
    process.env.CBS_TEST_MONGODB_URI = `${uri}${uri.includes('?') ? '&' : '?'}monitorCommands=true`;
    bench = await createSyncBench();
    bench.deps.mongo.on('commandStarted', (e) => {
      if (watching) events.push(e);
    });
    const config = { customers: { module: 'accounts' as const }, items: { extent: 'both_ways' as const } };
    await bench.configure(config);
    await bench.crm('Accounts').put([0, 1, 2].map(account));
    await bench.crm('Products').put([0, 1].map(product));
    expect((await bench.sync()).status).toBe('completed');

    const sandbox = createSandboxOperations({
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      slots: bench.deps.sandboxSlots,
    });
    await sandbox.createSandbox({ side: 'crm', parentOrgId: bench.crmOrg, sandboxOrgId: crmSandbox });
    await sandbox.createSandbox({ side: 'books', parentOrgId: bench.booksOrg, sandboxOrgId: booksSandbox });
    const production = await bench.deps.syncState.getIntegration(bench.integrationId);
    await bench.deps.syncState.saveIntegration({
      crmOrgId: crmSandbox,
      booksOrgId: booksSandbox,
      environment: 'sandbox',
      direction: 'two_way',
      status: 'active',
      config: production!.config,
      version: 0,
    });
    // The same record ids as production's, and one more: only the org tells them apart.
    const put = (module: 'Accounts' | 'Products', records: Record<string, unknown>[]) =>
      bench.deps.crmStore
        .module(module)
        .upsertMany(crmSandbox, records.map((data) => ({ id: String(data.id), data })) as never);
    await put('Accounts', [0, 1, 2, 3].map(account));
    await put('Products', [0, 1, 2].map(product));
  });
  afterAll(async () => {
    await bench?.close();
  });

  /** Every document of the bench's three databases that is production's: it names no sandbox id. */
  async function productionDocuments(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const name of Object.values(bench.dbs)) {
      const db = bench.deps.mongo.db(name);
      for (const { name: collection } of await db.listCollections().toArray()) {
        for (const doc of await db.collection(collection).find({}).toArray()) {
          const text = EJSON.stringify(doc);
          if (!text.includes(crmSandbox) && !text.includes(booksSandbox))
            out.set(`${name}.${collection}.${EJSON.stringify(doc._id)}`, text);
        }
      }
    }
    return out;
  }

  it("the sandbox's run reads and writes only sandbox records, and they arrive", async () => {
    const before = await productionDocuments();
    expect(before.size).toBeGreaterThan(0);
    watching = true;
    const result: SyncRunResult = await bench.client.workflow.execute('syncRunWorkflow', {
      taskQueue: bench.taskQueue,
      workflowId: syncRunWorkflowId(sandboxId, 1),
      args: [{ integrationId: sandboxId, runNumber: 1, trigger: 'initial' }],
    });
    watching = false;
    expect(result.status).toBe('completed');
    expect(totals(result)).toMatchObject({ added: 7, failed: 0 });

    const commands = events.map(commandText);
    expect(commands.length).toBeGreaterThan(0);
    const production = [bench.crmOrg, bench.booksOrg, bench.integrationId];
    expect(commands.filter((c) => production.some((id) => c.includes(id)))).toEqual([]);
    // Each command is scoped to the sandbox by what it names: no unscoped read could reach production.
    expect(commands.filter((c) => !c.includes(crmSandbox) && !c.includes(booksSandbox))).toEqual([]);
    expect(await productionDocuments()).toEqual(before);

    const customers = await bench.deps.booksStore
      .module('contacts')
      .findChangedSince(booksSandbox, null, 100);
    expect(customers.records.map((c) => c.data.contact_name).sort()).toEqual(
      [0, 1, 2, 3].map((n) => `Separate Account ${n}`),
    );
    const items = await bench.deps.booksStore.module('items').findChangedSince(booksSandbox, null, 100);
    expect(items.records).toHaveLength(3);
    expect(await bench.books('contacts').all()).toHaveLength(3);
  });

  it('the sandbox records carry the environment', async () => {
    const sync = bench.deps.mongo.db(bench.dbs.sync);
    for (const collection of ['runs', 'links_customer', 'links_item', 'cursors', 'audit']) {
      const docs = await sync.collection(collection).find({ integrationId: sandboxId }).toArray();
      expect([collection, docs.length > 0]).toEqual([collection, true]);
    }
    const [run] = await sync.collection('runs').find({ integrationId: sandboxId }).toArray();
    expect(run!._id).toBe(syncRunWorkflowId(sandboxId, 1));
    expect(sandboxId.endsWith('/sandbox')).toBe(true);
    // Each customer the sync created in the Books sandbox is linked under the sandbox integration.
    const created = await bench.deps.booksStore.module('contacts').findChangedSince(booksSandbox, null, 100);
    const links = await bench.deps.syncState.findLinksByCrmIds(sandboxId, 'customer', [
      'a0',
      'a1',
      'a2',
      'a3',
    ]);
    expect(links.map((l) => l.booksId).sort()).toEqual(created.records.map((r) => r.id).sort());
    const [crmOrg, booksOrg] = await Promise.all([
      bench.deps.crmStore.getOrg(crmSandbox),
      bench.deps.booksStore.getOrganization(booksSandbox),
    ]);
    expect([environmentOfOrg(crmOrg!), environmentOfOrg(booksOrg!)]).toEqual(['sandbox', 'sandbox']);
  });
});
