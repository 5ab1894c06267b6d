import type pino from 'pino';
import { createDealOperations } from '../api/deals';
import { createOperations } from '../api/operations';
import type { RunView } from '../api/types';
import { integrationWorkflowId } from '../domain/ids';
import { describeRunCounts, totalRunCounts } from '../domain/sync/counts';
import { servicesDown, servicesUp } from '../scripts/services';
import type { LoadedConfig } from '../workers/config';
import { startWorker } from '../workers/service';
import { openDataStores, runSeed } from './data/commands';
import { demoDealToInvoice, type DealDemoResult } from './deals-commands';
import { waitForRun } from './integration-commands';
import { table } from './format';
import { connectClient } from '../client';

export interface DemoSummary {
  ok: boolean;
  integrationId: string;
  workflowId: string;
  crmOrg: string;
  booksOrg: string;
  seeded: { crmRecords: number; booksRecords: number; invalid: number };
  runs: {
    runNumber: number;
    trigger: string;
    status: string;
    added: number;
    updated: number;
    skipped: number;
    failed: number;
  }[];
  changes: { crmAccounts: number; booksItems: number };
  pausedSyncRefusal: string | null;
  /** The deal-to-invoice step (issue 17): the deal won, its invoice in Books and the decision that made it. */
  dealToInvoice?: DealDemoResult;
  openFailures: number;
  temporal: { address: string; uiUrl: string | undefined; server: string; workflowUrl: string | undefined };
  mongo: { server: string; databases: string[] };
  elapsedMs: number;
  /** The commands that list this integration's workflows on the server it ran on. */
  listCommands: string[];
  servicesLeftRunning: boolean;
}

const DEMO_CONFIG = {
  customers: {
    module: 'accounts_and_contacts',
    includeOrphanContacts: true,
    extent: 'both_ways',
    duplicatePolicy: 'skip',
  },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: { extent: 'both_ways', duplicatePolicy: 'overwrite' },
  transactionSync: false,
  periodicSyncMinutes: 120,
} as const;

type Ref = { crmOrgId: string; booksOrgId: string; environment: 'production' };

/** How long the demo waits for one run before giving up. */
const RUN_TIMEOUT_MS = 10 * 60_000;

/** The counts the demo's history shows, summed over modules and directions. */
function totalsOf(run: RunView) {
  const { added, updated, skipped, failed } = totalRunCounts(run.counts);
  return { added, updated, skipped, failed };
}

/** The run's status and its counts, one line per module and direction. */
function describeRun(run: RunView): string {
  return `run #${run.runNumber} (${run.trigger}) ${run.status}\n    ${describeRunCounts(run.counts).join('\n    ')}`;
}

/**
 * The main job, end to end on the real servers: seed a CRM org and a Books org, enable an integration that
 * syncs customers and items both ways, let the initial sync run, change records on both sides, ask for an
 * instant sync, pause (an instant sync is refused), resume, win a deal (its invoice appears in Books, with its
 * decision record), and print the sync history.
 */
export async function runDemo(
  config: LoadedConfig,
  opts: { stopServices: boolean; progress: (line: string) => void; logger: pino.Logger },
): Promise<DemoSummary> {
  const t0 = Date.now();
  const say = opts.progress;
  say('Starting the Temporal dev server and the Mongo-wire server (reused if already up)…');
  const endpoints = await servicesUp(config.app, say);
  say(`Temporal: ${endpoints.temporal.description}`);
  if (endpoints.temporal.uiUrl) say(`Temporal UI: ${endpoints.temporal.uiUrl}`);
  say(`MongoDB:  ${endpoints.mongo.description}`);

  const running = await startWorker(config, endpoints, opts.logger);
  const client = await connectClient({
    connect: config.temporalConnect,
    address: endpoints.temporal.address,
    namespace: config.app.temporal.namespace,
  });
  try {
    const { deps } = running;
    const ops = createOperations({
      temporal: client,
      taskQueue: config.app.temporal.taskQueue,
      syncState: deps.syncState,
      crm: deps.crmStore,
      books: deps.booksStore,
    });
    // Fresh orgs every time, so the demo can run again on the same servers.
    const stamp = Date.now().toString(36);
    const ref: Ref = {
      crmOrgId: `demo-crm-${stamp}`,
      booksOrgId: `demo-books-${stamp}`,
      environment: 'production',
    };

    say(`\n1. Seeding CRM org ${ref.crmOrgId} and Books org ${ref.booksOrgId}…`);
    const seeded = await runSeed({
      options: {
        crmOrg: ref.crmOrgId,
        booksOrg: ref.booksOrgId,
        accounts: 60,
        orphanContacts: 15,
        vendors: 10,
        products: 40,
        deals: 0,
        booksCustomers: 20,
        booksVendors: 5,
        booksItems: 20,
        duplicates: 8,
        invalidFraction: 0,
      },
      stores: await openDataStores(deps.mongo, config.app.mongo),
    });
    say(`   ${seeded.crmRecords} CRM records, ${seeded.records - seeded.crmRecords} Books records`);

    say(
      '\n2. Enabling the integration: customers (accounts and their contacts) and items both ways, sync now…',
    );
    const enabled = await ops.enable({ ...ref, config: DEMO_CONFIG, syncNow: true });
    say(`   ${enabled.integrationId}: ${enabled.status}, ${enabled.direction.replace('_', '-')}`);
    const initial = await waitForRun(ops, ref, 1, { timeoutMs: RUN_TIMEOUT_MS, progress: say });
    say(`   ${describeRun(initial)}`);

    say('\n3. Changing records on both sides: 3 CRM accounts get a new phone, 2 Books items a new rate…');
    const accounts = (await deps.crmStore.module('Accounts').findChangedSince(ref.crmOrgId, null, 3)).records;
    await deps.crmStore.module('Accounts').upsertMany(
      ref.crmOrgId,
      accounts.map((a, i) => ({
        id: a.id,
        data: { ...a.data, Phone: `+1 555 01${String(i).padStart(2, '0')}` },
      })),
    );
    const items = (await deps.booksStore.module('items').findChangedSince(ref.booksOrgId, null, 200)).records
      .filter((r) => !r.deleted)
      .slice(0, 2);
    await deps.booksStore.module('items').upsertMany(
      ref.booksOrgId,
      items.map((it) => ({ id: it.id, data: { ...it.data, rate: Number(it.data.rate ?? 0) + 1.25 } })),
    );

    say('\n4. Instant sync…');
    const instant = await ops.syncNow(ref);
    say(`   ${instant.message}`);
    const second = await waitForRun(ops, ref, 2, { timeoutMs: RUN_TIMEOUT_MS, progress: say });
    say(`   ${describeRun(second)}`);

    say('\n5. Pause: the periodic sync stops and an instant sync is refused…');
    await ops.pause(ref);
    const refusal = await ops.syncNow(ref).then(
      () => null,
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    say(`   instant sync while paused: ${refusal ?? 'ACCEPTED (unexpected)'}`);

    say('\n6. Resume…');
    const resumed = await ops.resume(ref);
    say(`   ${resumed.status}; next periodic sync ${resumed.nextPeriodicSyncAt ?? '(none)'}`);

    say('\n7. Deal to invoice: an invoice rule, a deal of a synced account won…');
    const dealToInvoice = await demoDealToInvoice({
      deals: createDealOperations({
        temporal: client,
        taskQueue: config.app.temporal.taskQueue,
        syncState: deps.syncState,
        crm: deps.crmStore,
        dealStore: deps.dealStore,
        books: deps.booksStore,
      }),
      crm: deps.crmStore,
      ref,
      accountId: accounts[0]!.id,
    });
    say(`   ${describeDealStep(dealToInvoice)}`);

    const history = await ops.history(ref, { limit: 10 });
    say('\n8. Sync history:');
    say(
      table(
        history.map((r) => ({
          run: r.runNumber,
          trigger: r.trigger,
          status: r.status,
          started: r.startedTime,
          ...totalsOf(r),
        })),
      ),
    );
    const failures = await ops.failures(ref, { status: 'open', limit: 1000 });

    const { namespace } = config.app.temporal;
    const { uiUrl } = endpoints.temporal;
    const workflowId = integrationWorkflowId(ref.crmOrgId, ref.booksOrgId, ref.environment);
    // The UI's page of a workflow is addressed by its run; the integration's current one is open-ended.
    const { runId } = await client.workflow.getHandle(workflowId).describe();
    const secondTotals = totalsOf(second);
    const ok =
      initial.status.startsWith('completed') &&
      second.status.startsWith('completed') &&
      // Our own writes do not echo back: the second run moves the changed records and nothing else.
      secondTotals.updated === accounts.length + items.length &&
      refusal !== null &&
      resumed.status === 'active' &&
      dealToInvoice.invoice !== null;
    return {
      ok,
      integrationId: enabled.integrationId,
      workflowId,
      crmOrg: ref.crmOrgId,
      booksOrg: ref.booksOrgId,
      seeded: {
        crmRecords: seeded.crmRecords,
        booksRecords: seeded.records - seeded.crmRecords,
        invalid: seeded.invalid,
      },
      runs: history.map((r) => ({
        runNumber: r.runNumber,
        trigger: r.trigger,
        status: r.status,
        ...totalsOf(r),
      })),
      changes: { crmAccounts: accounts.length, booksItems: items.length },
      pausedSyncRefusal: refusal,
      dealToInvoice,
      openFailures: failures.length,
      temporal: {
        address: endpoints.temporal.address,
        uiUrl,
        server: endpoints.temporal.description,
        workflowUrl: uiUrl
          ? `${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`
          : undefined,
      },
      mongo: {
        server: endpoints.mongo.description,
        databases: [config.app.mongo.crmDb, config.app.mongo.booksDb, config.app.mongo.syncDb],
      },
      elapsedMs: Date.now() - t0,
      listCommands: [
        `temporal workflow list --address ${endpoints.temporal.address} --namespace ${namespace} --query 'CrmOrg="${ref.crmOrgId}"'`,
        `temporal workflow list --address ${endpoints.temporal.address} --namespace ${namespace} --query 'WorkflowType="syncRunWorkflow" AND BooksOrg="${ref.booksOrgId}"'`,
      ],
      servicesLeftRunning: !opts.stopServices,
    };
  } finally {
    await client.connection.close();
    await running.shutdown();
    if (opts.stopServices) await servicesDown(config.app);
  }
}

/** The deal step in one line: the invoice (or that none came) and the decision record behind it. */
function describeDealStep(step: DealDemoResult): string {
  const invoice = step.invoice ? `invoice ${step.invoice} in Books` : 'NO invoice in Books';
  return `deal ${step.dealId} won -> ${invoice} after ${step.elapsedMs} ms; decision: ${step.decision ?? '(none)'}`;
}

/** The demo's closing summary for people (the JSON form is for scripts). */
export function formatDemoSummary(summary: DemoSummary): string {
  return [
    '',
    `Demo ${summary.ok ? 'passed' : 'FAILED'} in ${Math.round(summary.elapsedMs / 1000)} s`,
    `  integration ${summary.integrationId}`,
    `  workflow    ${summary.workflowId}`,
    `  runs        ${summary.runs.map((r) => `#${r.runNumber} ${r.trigger} ${r.status} (${r.added} added, ${r.updated} updated)`).join(', ')}`,
    ...(summary.dealToInvoice ? [`  deal        ${describeDealStep(summary.dealToInvoice)}`] : []),
    `  open failures ${summary.openFailures}`,
    `  Temporal    ${summary.temporal.server}`,
    `  Temporal UI ${summary.temporal.uiUrl ?? '(external server: use its UI)'}`,
    ...(summary.temporal.workflowUrl ? [`  this one    ${summary.temporal.workflowUrl}`] : []),
    `  MongoDB     ${summary.mongo.server}, databases ${summary.mongo.databases.join(', ')}`,
    ...summary.listCommands.map((c) => `  list        ${c}`),
    summary.servicesLeftRunning
      ? "  The servers keep running for inspection; `npm start` resumes the integration's schedule; " +
        'stop them with `npm run services -- down`.'
      : '',
  ].join('\n');
}
