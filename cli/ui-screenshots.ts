#!/usr/bin/env node
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { chromium, type Browser, type ElementHandle, type Locator, type Page } from 'playwright-core';
import { createOperations } from '../api/operations';
import type { SyncOperations } from '../api/types';
import { openDataStores, runSeed } from './data/commands';
import { waitForRun } from './integration-commands';
import { connectClient } from '../client';
import { syncRunWorkflowId } from '../domain/ids';
import { integrationIdOf } from '../domain/sync-state-schemas';
import { syncRunProgressQuery } from '../workflows/messages';
import { loadConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { startWorker, type RunningWorker } from '../workers/service';
import { servicesUp } from '../scripts/services';

/**
 * `npm run ui-screenshots [-- --out docs --accounts 10000 --chromium /usr/bin/chromium --keep]`: screenshots
 * of the Temporal Web UI of the project's own local servers (`services up`; started here when they are not
 * up), taken with headless Chromium through playwright-core, of what an operator looks at:
 *
 * - `ui-runs-with-failures.png`: an integration and its runs in the workflow list with a SyncStatus column,
 *   a clean run (`completed`) beside one that ended `completed_with_failures`;
 * - `ui-saved-view-runs-with-failures.png`: the saved view "Runs with failures" (its query below);
 * - `ui-run-failure-reasons.png`: that run's current details (User Metadata tab), each failed record with
 *   its field and reason;
 * - `ui-run-result-failures.png`: the same run's result, its counts folded, its `failures` below;
 * - `ui-running-step.png`: a large run caught while its first step runs, in its event history: the pending
 *   activity above the event that scheduled it, whose summary names the step ("accounts CRM → Books · part 1 ·
 *   from record 1 of the step");
 * - `ui-running-timeline.png`: the same moment in the timeline, the pending bar labelled with that summary;
 * - `ui-running-details.png`: that running run's current details (which step of how many, how far).
 *
 * It runs a worker of its own, seeds two fresh org pairs, enables their integrations and at the end disables
 * them (unless `--keep`), so they do not sync every two hours on the persisted servers. Their records stay
 * (the large org's N accounts and as many Books customers and links), and on FerretDB every later lookup
 * scans them: run it on empty servers (`npm run services -- down`, `rm -rf ~/.cache/crm-books-sync/data`)
 * and empty them again after. The script checks the first step was still running once the three running
 * shots are taken, and says so if it was not (then give it more `--accounts`). A finished run's
 * current details are answered by a worker (a query), so they show only while one runs: here, its own. The
 * UI's pages poll the server as long as they are open, so every wait is for a selector or a text, never for
 * the network to go idle.
 */

interface Options {
  out: string;
  accounts: number;
  chromium: string;
  keep: boolean;
}

const USAGE =
  'usage: ui-screenshots [--out DIR] [--accounts N] [--chromium PATH] [--keep]\n' +
  '  --out DIR       where the PNGs go (default docs)\n' +
  '  --accounts N    CRM accounts of the large run caught while running (default 10000)\n' +
  '  --chromium PATH the browser (default $CHROMIUM_PATH, else /usr/bin/chromium: apt-get install chromium)\n' +
  '  --keep          leave both integrations enabled (default: disabled at the end)';

function parseArgs(argv: string[]): Options {
  const opts: Options = {
    out: 'docs',
    accounts: 10_000,
    chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    keep: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === '--out') opts.out = value();
    else if (arg === '--accounts') opts.accounts = Number(value());
    else if (arg === '--chromium') opts.chromium = value();
    else if (arg === '--keep') opts.keep = true;
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if (!Number.isInteger(opts.accounts) || opts.accounts < 1000)
    throw new Error(`--accounts must be a whole number of at least 1000\n${USAGE}`);
  return opts;
}

const say = (line: string) => process.stderr.write(`${line}\n`);

type Ref = { crmOrgId: string; booksOrgId: string; environment: 'production' };

/** The query of the saved view the README documents. */
const RUNS_WITH_FAILURES_QUERY = 'WorkflowType="syncRunWorkflow" AND SyncStatus="completed_with_failures"';

/** Accounts both ways; vendors and items as the demo has them. */
const CONFIG = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: { extent: 'both_ways', duplicatePolicy: 'overwrite' },
  transactionSync: false,
  periodicSyncMinutes: 120,
} as const;

/** CRM accounts in currencies the seeded Books org has not enabled (it has USD, EUR, GBP and JPY). */
const UNSYNCABLE_ACCOUNTS = [
  {
    id: 'ui-bad-chf',
    name: 'Zürich Feinmechanik AG',
    currency: 'CHF',
    city: 'Zürich',
    country: 'Switzerland',
  },
  { id: 'ui-bad-inr', name: 'Mumbai Traders', currency: 'INR', city: 'Mumbai', country: 'India' },
];

/** The small seed: a dozen accounts, a few vendors and items, no duplicates or invalid records. */
const SMALL_SEED = {
  accounts: 12,
  orphanContacts: 0,
  vendors: 4,
  products: 8,
  deals: 0,
  booksCustomers: 4,
  booksVendors: 0,
  booksItems: 4,
  duplicates: 0,
  invalidFraction: 0,
};

const RUN_TIMEOUT_MS = 20 * 60_000;
/** How long a selector may take to show: the UI polls every few seconds. */
const UI_TIMEOUT_MS = 60_000;

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const config = loadConfig();
  const logger = createLogger(config.app.logLevel === 'info' ? 'warn' : config.app.logLevel);

  say('Starting the Temporal dev server and the Mongo-wire server (reused if already up)…');
  const endpoints = await servicesUp(config.app, say);
  const { uiUrl } = endpoints.temporal;
  if (!uiUrl)
    throw new Error('TEMPORAL_ADDRESS names a server of your own, whose UI is not served here: unset it');
  const ui = new Ui(uiUrl, config.app.temporal.namespace);
  say(`Temporal UI: ${uiUrl}`);

  say('Starting a worker…');
  const worker = await startWorker(config, endpoints, logger);
  const client = await connectClient({
    connect: config.temporalConnect,
    address: endpoints.temporal.address,
    namespace: config.app.temporal.namespace,
  });
  const { deps } = worker;
  const ops = createOperations({
    temporal: client,
    taskQueue: config.app.temporal.taskQueue,
    syncState: deps.syncState,
    crm: deps.crmStore,
    books: deps.booksStore,
  });
  let browser: Browser | undefined;
  let page: Page | undefined;
  const enabled: Ref[] = [];
  try {
    const stores = await openDataStores(deps.mongo, config.app.mongo);
    const stamp = Date.now().toString(36);
    const small = refOf(`ui-crm-${stamp}`, `ui-books-${stamp}`);
    const large = refOf(`ui-crm-large-${stamp}`, `ui-books-large-${stamp}`);
    const shot = (name: string) => path.join(opts.out, name);

    // A small integration: run 1 clean, run 2 with two accounts Books cannot take.
    say(`\nSeeding CRM org ${small.crmOrgId} and Books org ${small.booksOrgId}; run 1…`);
    await runSeed({ options: { crmOrg: small.crmOrgId, booksOrg: small.booksOrgId, ...SMALL_SEED }, stores });
    await ops.enable({ ...small, config: CONFIG, syncNow: true });
    enabled.push(small);
    const clean = await waitForRun(ops, small, 1, { timeoutMs: RUN_TIMEOUT_MS, progress: say });
    if (clean.status !== 'completed') throw new Error(`run 1 should have completed cleanly: ${clean.status}`);
    say(`Adding ${UNSYNCABLE_ACCOUNTS.length} CRM accounts in currencies Books lacks; run 2…`);
    await deps.crmStore.module('Accounts').upsertMany(
      small.crmOrgId,
      UNSYNCABLE_ACCOUNTS.map((a) => ({
        id: a.id,
        data: {
          id: a.id,
          Account_Name: a.name,
          Phone: '+1 555 0100',
          Billing_City: a.city,
          Billing_Country: a.country,
          Currency: a.currency,
        },
      })),
    );
    await ops.syncNow(small);
    const failed = await waitForRun(ops, small, 2, { timeoutMs: RUN_TIMEOUT_MS, progress: say });
    if (failed.status !== 'completed_with_failures')
      throw new Error(`run 2 should have ended with failures: ${failed.status}`);

    await mkdir(opts.out, { recursive: true });
    browser = await chromium.launch({ executablePath: opts.chromium, args: ['--no-sandbox'] });
    // Tall enough that every clip lies inside it: the detail pages scroll inside the page, not the page itself.
    page = await browser.newPage({ viewport: { width: 1700, height: 1400 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);

    const failedRun = runIdOf(small, 2);
    await ui.runList(page, `CrmOrg="${small.crmOrgId}"`, failedRun, shot('ui-runs-with-failures.png'));
    await ui.savedView(
      page,
      'Runs with failures',
      RUNS_WITH_FAILURES_QUERY,
      failedRun,
      shot('ui-saved-view-runs-with-failures.png'),
    );
    const failedUrl = await ui.detailUrl(client, failedRun);
    await ui.currentDetails(page, failedUrl, UNSYNCABLE_ACCOUNTS[0]!.id, shot('ui-run-failure-reasons.png'));
    await ui.resultFailures(page, failedUrl, shot('ui-run-result-failures.png'));

    // A large integration whose initial sync is caught while its first step runs.
    say(`\nWriting ${opts.accounts} CRM accounts into ${large.crmOrgId} (a minute or two on FerretDB)…`);
    await runSeed({
      options: { crmOrg: large.crmOrgId, booksOrg: large.booksOrgId, ...SMALL_SEED, accounts: 0, vendors: 0 },
      stores,
    });
    await writeAccounts(deps.crmStore, large.crmOrgId, opts.accounts);
    await ops.enable({ ...large, config: CONFIG, syncNow: true });
    enabled.push(large);
    const largeRun = runIdOf(large, 1);
    const firstStep = async () => {
      const progress = await client.workflow
        .getHandle(largeRun)
        .query(syncRunProgressQuery)
        .catch(() => undefined);
      return progress?.phase === 'syncing' && progress.stepIndex === 0;
    };
    await until(`the first step of ${largeRun}`, async () => ((await firstStep()) ? true : undefined));
    const largeUrl = await ui.detailUrl(client, largeRun);
    const step = 'accounts CRM → Books · part 1';
    await ui.pendingEvent(page, largeUrl, step, shot('ui-running-step.png'));
    await ui.timeline(page, largeUrl, step, shot('ui-running-timeline.png'));
    await ui.currentDetails(page, largeUrl, 'Syncing', shot('ui-running-details.png'));
    if (!(await firstStep()))
      throw new Error(
        `the first step of ${largeRun} ended before the screenshots were taken: run again with more --accounts`,
      );
    const done = await waitForRun(ops, large, 1, { timeoutMs: RUN_TIMEOUT_MS, progress: say });
    say(`The large run ended ${done.status}.`);
  } catch (err) {
    if (process.env.UI_SHOTS_DEBUG && page)
      await page.screenshot({ path: path.join(opts.out, 'debug-failure.png') });
    throw err;
  } finally {
    await browser?.close();
    if (!opts.keep) await disableAll(ops, enabled);
    await client.connection.close();
    await worker.shutdown();
  }
}

const refOf = (crmOrgId: string, booksOrgId: string): Ref => ({
  crmOrgId,
  booksOrgId,
  environment: 'production',
});

const runIdOf = (ref: Ref, n: number) =>
  syncRunWorkflowId(integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment), n);

/** Plain CRM accounts, in batches: nothing but what a customer needs, so the step has only them to move. */
async function writeAccounts(crm: RunningWorker['deps']['crmStore'], org: string, n: number): Promise<void> {
  const BATCH = 5_000;
  for (let from = 0; from < n; from += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - from) }, (_, i) => {
      const id = `ui-acct-${String(from + i + 1).padStart(7, '0')}`;
      return {
        id,
        data: {
          id,
          Account_Name: `Account ${from + i + 1}`,
          Phone: '+1 555 0100',
          Billing_City: 'Austin',
          Billing_Country: 'USA',
          Currency: 'USD',
        },
      };
    });
    await crm.module('Accounts').upsertMany(org, batch);
    say(`  ${from + batch.length} of ${n}`);
  }
}

async function disableAll(ops: SyncOperations, refs: Ref[]): Promise<void> {
  for (const ref of refs) {
    try {
      await ops.disable(ref);
      say(`Disabled ${ref.crmOrgId} ↔ ${ref.booksOrgId}.`);
    } catch (err) {
      say(
        `Could not disable ${ref.crmOrgId} ↔ ${ref.booksOrgId}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}

/** The pages of the Temporal Web UI (2.54) this script visits, by the test ids the UI itself carries. */
class Ui {
  constructor(
    private readonly uiUrl: string,
    private readonly namespace: string,
  ) {}

  private get workflows(): string {
    return `${this.uiUrl}/namespaces/${encodeURIComponent(this.namespace)}/workflows`;
  }

  /** A workflow's page, addressed by its current run. */
  async detailUrl(client: Client, workflowId: string): Promise<string> {
    const { runId } = await client.workflow.getHandle(workflowId).describe();
    return `${this.workflows}/${encodeURIComponent(workflowId)}/${runId}/history`;
  }

  /** The list filtered by `query`, with a SyncStatus column beside the status (Configure Columns). */
  async runList(page: Page, query: string, mustShow: string, file: string): Promise<void> {
    await page.goto(`${this.workflows}?query=${encodeURIComponent(query)}`);
    await page.getByText(mustShow, { exact: true }).waitFor();
    await page.getByTestId('workflows-summary-table-configuration-button').click();
    // Room for the new column: a run's id and type are in its workflow id already.
    await page.getByTestId('orderable-list-item-Run ID-remove-button').click();
    await page.getByTestId('orderable-list-item-Type-remove-button').click();
    await page.getByTestId('orderable-list-item-SyncStatus-add-button').click();
    // Added last (after End): up past End, Start and Workflow ID, to stand beside Status.
    for (let i = 0; i < 3; i++)
      await page.getByTestId('orderable-list-item-SyncStatus-move-up-button').click();
    await page.getByTestId('drawer-close-button').click();
    await page.getByTestId('workflows-summary-table-header-cell-SyncStatus').waitFor();
    await page.getByText('completed_with_failures', { exact: true }).first().waitFor();
    await this.clipTable(page, file);
  }

  /** The list filtered by `query`, saved as a view named `name`, and shown with it selected. */
  async savedView(page: Page, name: string, query: string, mustShow: string, file: string): Promise<void> {
    await page.goto(`${this.workflows}?query=${encodeURIComponent(query)}`);
    await page.getByText(mustShow, { exact: true }).waitFor();
    await page.getByTestId('create-view-button').click();
    await page.getByTestId('workflow-save-view-modal-input').fill(name);
    await page.getByTestId('confirm-modal-button').filter({ hasText: 'Save' }).first().click();
    await page.getByTestId('saved-views-button').filter({ hasText: name }).waitFor();
    await this.clipTable(page, file);
  }

  /**
   * The User Metadata tab: the run's summary and current details. The UI renders them from Markdown inside
   * sandboxed frames, so the text is looked for in the page's frames.
   */
  async currentDetails(page: Page, url: string, mustShow: string, file: string): Promise<void> {
    await page.goto(url);
    await page.getByTestId('user-metadata-tab').click();
    // The UI replaces these frames as it reloads the details: a frame gone meanwhile is looked for again.
    for (let attempt = 1; ; attempt++) {
      const frame = await until(
        `"${mustShow}" in the current details`,
        async () => {
          for (const f of page.frames()) {
            if (f === page.mainFrame()) continue;
            const found = await f
              .getByText(mustShow)
              .count()
              .catch(() => 0);
            if (found > 0) return f.frameElement().catch(() => undefined);
          }
          return undefined;
        },
        UI_TIMEOUT_MS,
      );
      try {
        await clip(page, file, page.getByTestId('back-to-workflows'), frame);
        return;
      } catch (err) {
        if (attempt === 3) throw err;
      }
    }
  }

  /** The Event History tab's input and result, the result's counts folded so its failures show. */
  async resultFailures(page: Page, url: string, file: string): Promise<void> {
    await page.goto(url);
    const result = page.locator('.cm-editor').filter({ has: page.locator('[aria-label="Result"]') });
    const counts = result.locator('.cm-line').filter({ hasText: '"counts"' }).first();
    await counts.waitFor();
    await foldLine(result, counts);
    await result.locator('.cm-line').filter({ hasText: '"failures"' }).first().waitFor();
    await clip(page, file, page.getByTestId('back-to-workflows'), page.getByTestId('input-and-result'));
  }

  /**
   * The Event History tab of a running run, newest first: the pending activity and, below it, its scheduled
   * event with the summary. (The Pending Activities tab of UI 2.54 shows no summary: type, id, attempt only.)
   */
  async pendingEvent(page: Page, url: string, summary: string, file: string): Promise<void> {
    await page.goto(url);
    const scheduled = page
      .getByTestId('event-summary-row')
      .filter({ hasText: 'Activity Task Scheduled' })
      .filter({ hasText: summary })
      .first();
    await scheduled.waitFor();
    // The pending activity's row links to the event that scheduled it.
    const eventId = await scheduled.getAttribute('data-eventid');
    const pending = page
      .getByTestId('pending-activity-summary-row')
      .filter({ has: page.locator(`a[href$="/events/${eventId}"]`) });
    await pending.waitFor();
    await clip(page, file, page.getByTestId('back-to-workflows'), scheduled, 64);
  }

  /** The Timeline tab: each activity a bar labelled with its summary, the pending one "Attempt 1 / ∞ • …". */
  async timeline(page: Page, url: string, summary: string, file: string): Promise<void> {
    await page.goto(url);
    await page.getByTestId('timeline-tab').click();
    await page.getByText(summary).filter({ hasText: 'Attempt' }).first().waitFor();
    await clip(
      page,
      file,
      page.getByTestId('back-to-workflows'),
      page.locator('#event-history-timeline-graph'),
    );
  }

  /** From the page's heading to the last row of the workflow table. */
  private async clipTable(page: Page, file: string): Promise<void> {
    await clip(
      page,
      file,
      page.getByTestId('workflow-count'),
      page.getByTestId('workflows-summary-configurable-table-row').last(),
    );
  }
}

/** A screenshot of the page's main column from `top`'s top to `bottom`'s bottom (plus `extra` pixels). */
async function clip(
  page: Page,
  file: string,
  top: Locator,
  bottom: Locator | ElementHandle,
  extra = 24,
): Promise<void> {
  const main = await page.locator('main').boundingBox();
  const a = await top.boundingBox();
  const b = await bottom.boundingBox();
  if (!main || !a || !b) throw new Error(`cannot place the screenshot ${file}: an element is not shown`);
  const y = Math.max(0, a.y - 24);
  if (process.env.UI_SHOTS_DEBUG) await page.screenshot({ path: file.replace(/\.png$/, '-full.png') });
  await page.screenshot({
    path: file,
    clip: { x: main.x, y, width: main.width, height: b.y + b.height + extra - y },
  });
  say(`Saved ${file}.`);
}

/** Clicks the fold marker on `line`'s row of a CodeMirror editor's gutter. */
async function foldLine(editor: Locator, line: Locator): Promise<void> {
  const row = await line.boundingBox();
  if (!row) throw new Error('the line to fold is not shown');
  const markers = editor.locator('.cm-foldGutter .cm-gutterElement');
  for (let i = 0; i < (await markers.count()); i++) {
    const box = await markers.nth(i).boundingBox();
    if (
      box &&
      box.height > 0 &&
      Math.abs(box.y + box.height / 2 - (row.y + row.height / 2)) < row.height / 2
    ) {
      await markers.nth(i).click();
      return;
    }
  }
  throw new Error('no fold marker beside the line');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = RUN_TIMEOUT_MS): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

main().catch((err: unknown) => {
  say(`ui-screenshots: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
