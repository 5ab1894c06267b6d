import { temporal } from '@temporalio/proto';
import { createSandboxActivities } from '../../activities/sandbox';
import type { SyncDeps } from '../../activities/sync';
import { startSandboxModules } from '../../client';
import { financeModuleRefusal } from '../../domain/sandbox';
import { SEARCH_ATTRIBUTES } from '../../domain/search-attributes';
import { SANDBOX_MODULES_DELAY_MS, type sandboxModulesWorkflow } from '../../workflows/sandbox-modules';
import { unique, useTimeSkippingEnv } from '../helpers';

// The time-skipping server refuses search attributes it does not know but accepts their registration.
const suite = useTimeSkippingEnv(async (env) => {
  const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.keys(SEARCH_ATTRIBUTES).map((name) => [name, KEYWORD])),
  });
});

type Data = Record<string, unknown>;

/**
 * The CRM store's org settings in memory, with the real activity over them. An org in `failAfterSave` has
 * its first save land and then throw (a connection lost after the write), so the retry meets its own write.
 */
function fakeCrm() {
  const orgs = new Map<string, Data>();
  const failAfterSave = new Set<string>();
  const saves = new Map<string, number>();
  const crm = {
    getOrg: async (id: string) => orgs.get(id),
    async saveOrg(doc: Data) {
      const id = String(doc.id);
      orgs.set(id, doc);
      saves.set(id, (saves.get(id) ?? 0) + 1);
      if (failAfterSave.delete(id)) throw new Error('connection reset after the write');
      return undefined;
    },
  } as unknown as SyncDeps['crm'];
  return { orgs, failAfterSave, saves, crm };
}

const SANDBOX_ORG = { company_name: 'Acme', sandbox: { parent_org_id: 'c1' } };
const store = fakeCrm();
// One worker for the file: bundling the workflows is the slow part of a worker's start.
const taskQueue = unique('tq');
beforeAll(async () => {
  const worker = await suite.worker({ taskQueue, activities: createSandboxActivities({ crm: store.crm }) });
  void worker.run();
}, 60_000);

/** A new org in the fake store; its id. */
function addOrg(org: Data, opts: { failAfterFirstSave?: boolean } = {}): string {
  const id = unique('c');
  store.orgs.set(id, { ...org, id });
  if (opts.failAfterFirstSave) store.failAfterSave.add(id);
  return id;
}

describe('sandboxModulesWorkflow (time-skipping)', () => {
  it('waits on its durable timer, then creates the four finance modules; records can be created after', async () => {
    const crmOrgId = addOrg(SANDBOX_ORG);
    // What the enable operation does for a sandbox integration.
    const enableStarts = () =>
      startSandboxModules(suite.env.client, taskQueue, {
        crmOrgId,
        booksOrgId: 'b1s',
        integrationId: `${crmOrgId}/b1s/sandbox`,
      });
    const start = await enableStarts();
    expect(start).toEqual({ workflowId: `sandbox-modules/${crmOrgId}`, started: true });
    // A second enable finds the job scheduled and starts none.
    await expect(enableStarts()).resolves.toMatchObject({ started: false });

    await suite.env.sleep(SANDBOX_MODULES_DELAY_MS - 60_000);
    // Before the timer: no module yet, and a record is refused with the reason.
    expect(financeModuleRefusal(crmOrgId, store.orgs.get(crmOrgId)!, 'Quotes')?.reason).toMatch(
      /has no Quotes module yet: the scheduled job .* \(S8\.3\)/,
    );

    const handle = suite.env.client.workflow.getHandle<typeof sandboxModulesWorkflow>(start.workflowId);
    const done = await handle.result();
    expect(done).toMatchObject({
      created: true,
      modules: ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'],
    });
    expect(
      Date.parse(done.ranAt) - Date.parse((await handle.describe()).startTime.toISOString()),
    ).toBeGreaterThanOrEqual(SANDBOX_MODULES_DELAY_MS);
    for (const module of ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'])
      expect(financeModuleRefusal(crmOrgId, store.orgs.get(crmOrgId)!, module)).toBeUndefined();
    // Visible in the Temporal UI: its summary and its current details say what it did.
    const described = await handle.describe();
    expect(await described.staticSummary()).toMatch(/^Sandbox finance modules of CRM /);
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toMatch(/^Created Quotes, Sales_Orders, Invoices, Purchase_Orders/);
    // Completed: enabling again starts no second job.
    await expect(enableStarts()).resolves.toMatchObject({ started: false });
  });

  it('is idempotent on retry: an attempt that wrote and then failed is retried without a second write', async () => {
    const crmOrgId = addOrg(SANDBOX_ORG, { failAfterFirstSave: true });
    const result = await suite.env.client.workflow.execute<typeof sandboxModulesWorkflow>(
      'sandboxModulesWorkflow',
      {
        taskQueue,
        workflowId: unique('sandbox-modules'),
        args: [{ crmOrgId, integrationId: `${crmOrgId}/b1s/sandbox`, delayMs: 1_000 }],
      },
    );
    expect(result).toMatchObject({
      created: false,
      modules: ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'],
    });
    expect(store.saves.get(crmOrgId)).toBe(1);
  });

  it('refuses a production org at once, naming why', async () => {
    const crmOrgId = addOrg({ company_name: 'Acme' });
    await expect(
      suite.env.client.workflow.execute<typeof sandboxModulesWorkflow>('sandboxModulesWorkflow', {
        taskQueue,
        workflowId: unique('sandbox-modules'),
        args: [{ crmOrgId, integrationId: `${crmOrgId}/b1/production`, delayMs: 1_000 }],
      }),
    ).rejects.toMatchObject({
      cause: { cause: { message: expect.stringMatching(/is a production org: only a sandbox/) } },
    });
  });
});
