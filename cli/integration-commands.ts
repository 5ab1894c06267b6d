import { promises as fs } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { createOperations } from '../api/operations';
import { createDealOperations } from '../api/deals';
import { createDocumentOperations } from '../api/documents';
import { createSubscriptionOperations, subscriptionDepsOf } from '../api/subscriptions';
import { createSandboxOperations } from '../api/sandbox';
import { financeGuardDepsOf, guardedDocuments } from '../api/finance-guard';
import { createUserOperations, userDepsOf } from '../api/users';
import {
  AuditQuerySchema,
  BooksFromCrmQuerySchema,
  CrmSearchQuerySchema,
  EnableInputSchema,
  FailuresQuerySchema,
  FetchInputSchema,
  HistoryQuerySchema,
  ImportInputSchema,
  IntegrationRefSchema,
  OperationError,
  ReprocessInputSchema,
  parseRequest,
  type AuditEntryView,
  type EnableInput,
  type FailureView,
  type FetchResult,
  type IntegrationView,
  type ReprocessInput,
  type RunCountsView,
  type RunSkipsView,
  type RunView,
  type SyncOperations,
} from '../api/types';
import { redactUri } from '../domain/config';
import type { ZohoProduct } from '../domain/sandbox';
import { totalRunCounts } from '../domain/sync/counts';
import { checkConfigInput } from '../domain/config-input';
import { servicesUp } from '../scripts/services';
// The CLI composes the stores and the Temporal client itself, as data-commands.ts does (not the HTTP API).
import { loadConfig } from '../workers/config';
import { createDeps } from '../workers/deps';
import { fields, table } from './format';
import { connectClient } from '../client';

/*
 * `integrations` (alias `int`): every operation of api/types.ts SyncOperations from the command line, run
 * in-process by createOperations over MongoDB and Temporal (the worker must be running on the task queue for
 * anything that goes through the integration's workflow). Tables by default, one JSON document with --json.
 */

/**
 * Exit statuses of these commands (documented in each command's help):
 * 0 done; 2 refused, nothing changed: invalid input (bad id, option or configuration file), not found, or a
 * conflict with the integration's state (e.g. syncing a paused integration); 3 no worker is running (nothing
 * changed: start it with `npm start`); 4 done, but records failed (a run completed with failures); 1 failure
 * (server unreachable, a run failed, no answer in time: retry).
 */
export const INTEGRATION_EXIT = { ok: 0, failed: 1, refused: 2, noWorker: 3, recordsFailed: 4 } as const;
export type IntegrationExitCode = (typeof INTEGRATION_EXIT)[keyof typeof INTEGRATION_EXIT];

const EXIT_HELP =
  '\nExit status: 0 done; 2 invalid input, not found or refused (nothing changed); ' +
  '3 no worker is running (nothing changed: start it with `npm start`); ' +
  '4 done but records failed; 1 failure (e.g. server unreachable).';

/** How often `sync --wait` reads the history, and how often it prints a progress line. */
const POLL_MS = 500;
const PROGRESS_EVERY_MS = 5_000;

const progressLine = (line: string) => process.stderr.write(`${line}\n`);
const printJson = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const print = (text: string) => process.stdout.write(`${text}\n`);
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------------------
// Connecting

export interface OperationsConnection {
  ops: SyncOperations;
  close(): Promise<void>;
}

/**
 * The operations over the configured servers (MONGODB_URI, TEMPORAL_ADDRESS and its profile; the local ones
 * of `services up` when unset, started when needed), with the task queue and databases of the environment.
 */
export async function connectOperations(env: NodeJS.ProcessEnv = process.env): Promise<OperationsConnection> {
  const config = loadConfig(env);
  const { app } = config;
  const local = app.mongo.uri && app.temporal.address ? undefined : await servicesUp(app, progressLine);
  const mongoUri = app.mongo.uri ?? local!.mongo.uri;
  const address = app.temporal.address ?? local!.temporal.address;
  // Both at once: an unreachable server is reported after one timeout, not two.
  const [mongo, temporal] = await Promise.allSettled([
    createDeps({ ...app.mongo, uri: mongoUri }).catch((err: unknown) => {
      throw new Error(`cannot reach MongoDB at ${redactUri(mongoUri)}: ${messageOf(err)}`, { cause: err });
    }),
    connectClient({ connect: config.temporalConnect, address, namespace: app.temporal.namespace }).catch(
      (err: unknown) => {
        throw new Error(`cannot reach Temporal at ${address}: ${messageOf(err)}`, { cause: err });
      },
    ),
  ]);
  if (mongo.status === 'rejected' || temporal.status === 'rejected') {
    if (mongo.status === 'fulfilled') await mongo.value.close();
    if (temporal.status === 'fulfilled') await temporal.value.connection.close();
    throw mongo.status === 'rejected' ? mongo.reason : (temporal as PromiseRejectedResult).reason;
  }
  const deps = mongo.value;
  const ops = createOperations({
    temporal: temporal.value,
    taskQueue: app.temporal.taskQueue,
    syncState: deps.syncState,
    crm: deps.crmStore,
    books: deps.booksStore,
    ...(app.http.webhookToken && { webhookToken: app.http.webhookToken }),
  });
  return {
    ops: {
      ...ops,
      users: createUserOperations({
        ...userDepsOf(deps),
        temporal: temporal.value,
        taskQueue: app.temporal.taskQueue,
      }),
      subscriptions: createSubscriptionOperations(subscriptionDepsOf(deps)),
      documents: guardedDocuments(
        createDocumentOperations({
          temporal: temporal.value,
          taskQueue: app.temporal.taskQueue,
          syncState: deps.syncState,
          crm: deps.crmStore,
        }),
        financeGuardDepsOf(deps, { temporal: temporal.value, taskQueue: app.temporal.taskQueue }),
      ),
      sandbox: createSandboxOperations({
        crm: deps.crmStore,
        books: deps.booksStore,
        slots: deps.sandboxSlots,
      }),
      deals: createDealOperations({
        temporal: temporal.value,
        taskQueue: app.temporal.taskQueue,
        syncState: deps.syncState,
        crm: deps.crmStore,
        dealStore: deps.dealStore,
        books: deps.booksStore,
      }),
    },
    async close() {
      try {
        await temporal.value.connection.close();
      } finally {
        await deps.close();
      }
    },
  };
}

export async function withOperations<T>(work: (ops: SyncOperations) => Promise<T>): Promise<T> {
  const connection = await connectOperations();
  try {
    return await work(connection.ops);
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Input

type Ref = { crmOrgId: string; booksOrgId: string; environment: 'production' | 'sandbox' };
type EnableFlags = { config: string; later?: boolean; product?: ZohoProduct[] };

/** The integration named on the command line, checked before anything connects. */
function refOf(crmOrgId: string, booksOrgId: string, environment: string): Ref {
  return parseRequest(IntegrationRefSchema, { crmOrgId, booksOrgId, environment }, 'integration');
}

/** Who made a change, for the audit log (S9.8). */
export function cliActor(): { id: string; name: string } {
  let user = 'unknown';
  try {
    user = userInfo().username || user;
  } catch {
    // No passwd entry (some containers): the audit still says it came from the CLI.
  }
  return { id: `cli:${user}`.slice(0, 300), name: 'crm-books-sync CLI' };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An integration configuration from a JSON file (`-`: standard input), checked with the schema the workflow
 * uses. A missing or unreadable file, malformed JSON or an invalid configuration is an `invalid` error naming
 * the file (and each bad field).
 */
export async function readConfigFile(file: string): Promise<EnableInput['config']> {
  const name = file === '-' ? 'standard input' : file;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new OperationError(
      'invalid',
      `cannot read the configuration file ${name}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new OperationError(
      'invalid',
      `the configuration file ${name} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const checked = checkConfigInput(value);
  if (!checked.ok)
    throw new OperationError(
      'invalid',
      `invalid configuration in ${name}: ${checked.issues.join('; ')}`,
      checked.issues,
    );
  // The file as written (not the parsed defaults): the workflow validates and stores it.
  return value as EnableInput['config'];
}

/** A run number argument (`run <n>`): a positive whole number, else an `invalid` error. */
function runNumberOf(text: string): number {
  const n = /^\d{1,9}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(n >= 1))
    throw new OperationError(
      'invalid',
      `the run number must be a whole number from 1, not ${JSON.stringify(text)}`,
    );
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Errors and exit statuses

/**
 * 2 for a refusal (invalid input, not found, conflict, unauthorized, forbidden); 3 when no worker is running;
 * 1 for the rest (retry or report).
 */
export function exitCodeOf(err: OperationError): IntegrationExitCode {
  switch (err.kind) {
    case 'no_worker':
      return INTEGRATION_EXIT.noWorker;
    case 'invalid':
    case 'not_found':
    case 'conflict':
    case 'unauthorized':
    case 'forbidden':
      return INTEGRATION_EXIT.refused;
    default:
      return INTEGRATION_EXIT.failed;
  }
}

/** `error: <message>` on stderr; an invalid request's fields each on their own line below it. */
export function formatOperationError(err: OperationError): string {
  if (err.issues.length === 0) return `error: ${err.message}`;
  const joined = `: ${err.issues.join('; ')}`;
  const head = err.message.endsWith(joined) ? err.message.slice(0, -joined.length) : err.message;
  return [`error: ${head}:`, ...err.issues.map((issue) => `  ${issue}`)].join('\n');
}

/**
 * Runs a command's work: its exit status, or an OperationError reported with its status (exitCodeOf).
 * Anything else is unexpected and goes to the CLI's handler (status 1).
 */
export async function guarded(work: () => Promise<IntegrationExitCode | void>): Promise<void> {
  try {
    const code = await work();
    if (code) process.exitCode = code;
  } catch (err) {
    if (!(err instanceof OperationError)) throw err;
    progressLine(formatOperationError(err));
    process.exitCode = exitCodeOf(err);
  }
}

/**
 * The builder of a group's subcommands of one integration: `<crmOrg> <booksOrg>`, --env and --json, and
 * `help` after their own help text.
 */
export function integrationSubcommand(group: Command, help = '') {
  return (name: string, description: string) =>
    group
      .command(name)
      .description(description)
      .argument('<crmOrg>', 'the CRM org id')
      .argument('<booksOrg>', 'the Books org id')
      .option('--env <environment>', 'production or sandbox', 'production')
      .option('--json', 'print one JSON document')
      .addHelpText('after', help);
}

// ---------------------------------------------------------------------------------------------------------
// Output

/** `2024-05-01 12:00:03Z`: an ISO time without its milliseconds, for tables. */
export function shortTime(iso: string | null | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z') : '';
}

const clip = (text: string | undefined, max = 60) =>
  !text ? '' : text.length > max ? `${text.slice(0, max - 1)}…` : text;

const COUNT_KEYS = ['added', 'matched', 'updated', 'unchanged', 'skipped', 'failed'] as const;

const countsOf = (c: RunCountsView) => Object.fromEntries(COUNT_KEYS.map((k) => [k, c[k]]));

/** The history as a table: one row per run (counts summed), or per run, module and direction. */
export function formatHistory(runs: RunView[], byModule = false): string {
  const head = (r: RunView) => ({
    run: r.runNumber,
    trigger: r.trigger,
    status: r.status,
    started: shortTime(r.startedTime),
    ended: shortTime(r.endedTime),
  });
  if (!byModule)
    return table(
      runs.map((r) => ({ ...head(r), ...countsOf(totalRunCounts(r.counts)), reason: clip(r.reason) })),
    );
  const rows = runs.flatMap((r) => {
    const perModule = Object.entries(r.counts).flatMap(([module, byDirection]) =>
      Object.entries(byDirection).map(([direction, c]) => ({ module, direction, ...countsOf(c) })),
    );
    return (perModule.length ? perModule : [{ module: '', direction: '' }]).map((m) => ({
      ...head(r),
      ...m,
      reason: clip(r.reason),
    }));
  });
  return table(rows, [
    'run',
    'trigger',
    'status',
    'started',
    'ended',
    'module',
    'direction',
    ...COUNT_KEYS,
    'reason',
  ]);
}

/** The integration document and its workflow's live state. */
export function formatStatus(view: IntegrationView): string {
  const { integration: i, workflow: w } = view;
  const c = i.config;
  const config =
    `version ${i.configVersion}; customers ${c.customers.module} (${c.customers.extent}, ` +
    `${c.customers.duplicatePolicy}), vendors (${c.vendors.extent}, ${c.vendors.duplicatePolicy}), ` +
    `items (${c.items.extent}, ${c.items.duplicatePolicy}); every ${c.periodicSyncMinutes} min`;
  const lines: [string, unknown][] = [
    ['integration', i.integrationId],
    ['status', i.status],
    ['direction', i.direction],
    ['config', config],
    ['modified', shortTime(i.modifiedTime)],
  ];
  if (!w) lines.push(['workflow', 'not running (enable the integration to start it)']);
  else {
    const last = w.lastRun;
    lines.push(
      ['workflow', `${w.status}, config version ${w.configVersion}, ${w.runsStarted} run(s) started`],
      [
        'running',
        w.running
          ? `${w.running.runId} (${w.running.trigger}, since ${shortTime(w.running.startedAt)})`
          : 'none',
      ],
      [
        'last run',
        last
          ? `#${last.runNumber} ${last.trigger} ${last.status}, ${shortTime(last.startedAt)} → ` +
            `${shortTime(last.finishedAt)}, ${last.changed} changed, ${last.failureCount} failure(s)` +
            `${last.reason ? `: ${clip(last.reason, 100)}` : ''}`
          : 'none',
      ],
      [
        'next sync',
        w.nextPeriodicSyncAt
          ? `${shortTime(w.nextPeriodicSyncAt)} (periodic, every ${w.periodicSyncMinutes} min)`
          : w.status === 'active'
            ? 'after the initial sync'
            : `none while ${w.status}`,
      ],
      [
        'pending',
        `${w.pendingInstantSync ? 'an instant sync' : 'no instant sync'}, ` +
          `${w.pendingTargetedRequests} targeted request(s)`,
      ],
      ['notifications', `${w.notifications.received} received, ${w.notifications.queuedSync} queued a sync`],
    );
  }
  return fields(lines);
}

function failureRows(failures: FailureView[]) {
  return failures.map((f) => ({
    id: f.failureId,
    module: f.module,
    direction: f.direction,
    record: f.recordId,
    field: f.field,
    reason: clip(f.reason),
    status: f.status,
    attempts: f.attempts,
    modified: shortTime(f.modifiedTime),
  }));
}

/**
 * A run: its fields, counts per module and direction, skips counted by reason (each reason in words), and its
 * failures; with `listSkipped`, the skipped records too, each with its reason and detail.
 */
export function formatRun(
  run: RunView & { failures: FailureView[]; skipped: RunSkipsView },
  listSkipped = false,
): string {
  const counts = Object.entries(run.counts).flatMap(([module, byDirection]) =>
    Object.entries(byDirection).map(([direction, c]) => ({
      module,
      direction,
      ...countsOf(c),
      deleted: c.deleted,
    })),
  );
  const { skipped } = run;
  const byReason = Object.entries(skipped.byReason).map(([reason, count]) => ({
    count,
    reason: skipped.reasons[reason] ?? reason,
  }));
  const listed = listSkipped
    ? [
        '',
        `Skipped records (${skipped.records.length}${skipped.records.length < skipped.total ? ` of ${skipped.total}` : ''}):`,
        table(
          skipped.records.map((k) => ({
            module: k.module,
            direction: k.direction,
            record: k.recordId,
            reason: k.reason,
            detail: clip(k.detail),
          })),
        ),
      ]
    : skipped.total > 0
      ? ['(list them with --skipped)']
      : [];
  return [
    fields([
      ['run', `#${run.runNumber} (${run.runId})`],
      ['trigger', run.trigger],
      ['status', run.status],
      ['started', shortTime(run.startedTime)],
      ['ended', shortTime(run.endedTime)],
      ['config', run.configVersion === undefined ? '' : `version ${run.configVersion}`],
      ['failures', run.failureCount],
      ...(run.reason ? [['reason', run.reason] as [string, unknown]] : []),
    ]),
    '',
    table(counts),
    '',
    `Skipped (${skipped.total}), by reason:`,
    table(byReason),
    ...listed,
    '',
    `Failures (${run.failures.length}):`,
    table(failureRows(run.failures)),
  ].join('\n');
}

function describeFetch(verb: string, r: FetchResult): string {
  const run = `run ${r.run.runId}, ${r.run.status}, ${r.run.changed} changed, ${r.run.failureCount} failure(s)`;
  return r.booksId
    ? `${verb} CRM ${r.crmModule} ${r.crmId}: Books contact ${r.booksId} (${run})`
    : `${verb} CRM ${r.crmModule} ${r.crmId}: not linked to a Books record (${run})` +
        `${r.run.reason ? `: ${r.run.reason}` : ''}`;
}

/** 1 when the run failed, 4 when it completed with record failures, else 0. */
function runExit(status: string, failureCount: number): IntegrationExitCode {
  if (status === 'failed' || status === 'cancelled') return INTEGRATION_EXIT.failed;
  return status === 'completed_with_failures' || failureCount > 0
    ? INTEGRATION_EXIT.recordsFailed
    : INTEGRATION_EXIT.ok;
}

/**
 * 0 when the record is linked to a Books record after the run; else 1 if the run failed, 4 if the record was
 * refused. (The run may carry other requests' records too, so its own counts do not decide.)
 */
function fetchExit(r: FetchResult): IntegrationExitCode {
  if (r.booksId) return INTEGRATION_EXIT.ok;
  return r.run.status === 'failed' ? INTEGRATION_EXIT.failed : INTEGRATION_EXIT.recordsFailed;
}

function formatAudit(entries: AuditEntryView[], withIntegration: boolean): string {
  return table(
    entries.map((e) => ({
      at: shortTime(e.at),
      actor: `${e.actor.type}:${e.actor.id}`,
      ...(withIntegration && { integration: e.integrationId ?? '' }),
      action: e.action,
      entity: e.entity ?? '',
      outcome: e.outcome,
      records: e.payloadIds.length,
      detail: clip(e.detail, 80),
    })),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Waiting for a run

/**
 * Polls the history until run `runNumber` has finished, printing a progress line every few seconds. Refuses
 * (conflict) when the run cannot start because the integration is no longer active; gives up after `timeoutMs`.
 */
export async function waitForRun(
  ops: SyncOperations,
  ref: Ref,
  runNumber: number,
  opts: { timeoutMs: number; progress?: (line: string) => void; pollMs?: number },
): Promise<RunView> {
  const progress = opts.progress ?? progressLine;
  const t0 = Date.now();
  let lastProgress = t0;
  for (;;) {
    const [run] = await ops.history(ref, { limit: 1, before: runNumber + 1 });
    const mine = run?.runNumber === runNumber ? run : undefined;
    if (mine && mine.status !== 'running') return mine;
    if (!mine) {
      const { workflow } = await ops.get(ref);
      if (!workflow || workflow.status !== 'active')
        throw new OperationError(
          'conflict',
          `run ${runNumber} will not start: the integration is ${workflow ? workflow.status : 'not running'}`,
        );
    }
    const now = Date.now();
    if (now - t0 > opts.timeoutMs)
      throw new OperationError(
        'unavailable',
        `run ${runNumber} has not finished after ${Math.round(opts.timeoutMs / 1000)} s; it carries on ` +
          '(see `crm-books-sync integrations history`)',
      );
    if (now - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = now;
      progress(
        `run ${runNumber}: ${mine ? `running since ${shortTime(mine.startedTime)}` : 'waiting to start'} ` +
          `(${Math.round((now - t0) / 1000)} s)`,
      );
    }
    await sleep(opts.pollMs ?? POLL_MS);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The commands

interface CommonFlags {
  env: string;
  json?: boolean;
}

const MODULES_HINT = 'customers, vendors or items';

/** Adds the `integrations` (alias `int`) command group to the CLI. */
export function registerIntegrationCommands(program: Command): void {
  const group = program
    .command('integrations')
    .alias('int')
    .description('enable, configure, sync and inspect CRM ↔ Books integrations (the worker must be running)')
    // Usage errors (a missing argument, an unknown option) are invalid input too: status 2, not commander's 1.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : INTEGRATION_EXIT.refused))
    .addHelpText(
      'after',
      `\nEvery subcommand takes --env production|sandbox (default production) and --json (one JSON document).${EXIT_HELP}`,
    );

  const sub = integrationSubcommand(group, EXIT_HELP);

  sub('enable', 'save the configuration and start syncing (S2.8: the first sync runs now unless --later)')
    .requiredOption('--config <file>', 'the configuration, a JSON file (- for standard input)')
    .option('--later', 'sync at the next periodic time instead of now')
    .option('--product <name...>', 'the Zoho products: books (default); only books in a sandbox (S8.6)')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & EnableFlags) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const config = await readConfigFile(flags.config);
        const products = flags.product && { products: flags.product };
        const input = { ...ref, config, ...products, syncNow: !flags.later, actor: cliActor() };
        parseRequest(EnableInputSchema, input, 'integration');
        const result = await withOperations((ops) => ops.enable(input));
        if (flags.json) printJson(result);
        else
          print(
            `${result.reEnabled ? 're-enabled' : 'enabled'} ${result.integrationId}: ${result.status}, ` +
              `${result.direction}, configuration version ${result.configVersion}; ` +
              (result.syncQueued ? 'the first sync is queued now' : 'it syncs at the next periodic time'),
          );
      }),
    );

  sub('configure', 'save a new configuration; it applies from the next run (S3.7) or now with --sync-now')
    .requiredOption('--config <file>', 'the configuration, a JSON file (- for standard input)')
    .option('--sync-now', 'queue a sync with the new configuration now')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & { config: string; syncNow?: boolean }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const config = await readConfigFile(flags.config);
        const result = await withOperations((ops) =>
          ops.configure(ref, { config, syncNow: Boolean(flags.syncNow), actor: cliActor() }),
        );
        if (flags.json) printJson(result);
        else
          print(
            `saved configuration version ${result.configVersion}; ` +
              (result.syncQueued ? 'a sync is queued now' : 'it applies from the next run'),
          );
      }),
    );

  sub(
    'status',
    'the integration: status, direction, configuration, running and last run, next periodic sync',
  ).action((crmOrg: string, booksOrg: string, flags: CommonFlags) =>
    guarded(async () => {
      const ref = refOf(crmOrg, booksOrg, flags.env);
      const view = await withOperations((ops) => ops.get(ref));
      if (flags.json) printJson(view);
      else print(formatStatus(view));
    }),
  );

  group
    .command('list')
    .description('the integrations of a CRM org')
    .argument('<crmOrg>', 'the CRM org id')
    .option('--env <environment>', 'ignored: every environment is listed', 'production')
    .option('--json', 'print one JSON document')
    .addHelpText('after', EXIT_HELP)
    .action((crmOrg: string, flags: CommonFlags) =>
      guarded(async () => {
        parseRequest(IntegrationRefSchema.shape.crmOrgId, crmOrg, 'CRM org id');
        const list = await withOperations((ops) => ops.list(crmOrg));
        if (flags.json) printJson(list);
        else
          print(
            table(
              list.map((i) => ({
                integration: i.integrationId,
                'books org': i.booksOrgId,
                env: i.environment,
                direction: i.direction,
                status: i.status,
                config: i.configVersion,
                modified: shortTime(i.modifiedTime),
              })),
            ),
          );
      }),
    );

  for (const [name, verb, description] of [
    ['pause', 'paused', 'pause syncing (S3.6): a run in progress completes, queued requests are dropped'],
    ['resume', 'resumed', 'resume a paused integration'],
    ['disable', 'disabled', 'disable the integration (S4.4): stops its runs; enable it again later'],
  ] as const) {
    sub(name, description).action((crmOrg: string, booksOrg: string, flags: CommonFlags) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const status = await withOperations((ops) => ops[name](ref, { actor: cliActor() }));
        if (flags.json) printJson(status);
        else print(`${verb} ${status.integrationId}: it is ${status.status}`);
      }),
    );
  }

  sub('sync', 'sync now (S3.2); with --wait, until the run finishes (progress on stderr unless --json)')
    .option('--wait', 'wait until the queued run has finished')
    .option('--timeout <seconds>', 'with --wait: give up after this long (default 1800)', '1800')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & { wait?: boolean; timeout: string }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const timeout = Number(flags.timeout);
        if (!(timeout > 0))
          throw new OperationError('invalid', '--timeout must be a positive number of seconds');
        return withOperations(async (ops) => {
          const queued = await ops.syncNow(ref, { actor: cliActor() });
          if (!flags.wait) {
            if (flags.json) printJson(queued);
            else print(`run ${queued.runNumber}: ${queued.message}`);
            return INTEGRATION_EXIT.ok;
          }
          // Progress on stderr, except for scripts (--json): they get the one document at the end.
          const progress = flags.json ? () => undefined : progressLine;
          progress(`run ${queued.runNumber}: ${queued.message}`);
          const run = await waitForRun(ops, ref, queued.runNumber, { timeoutMs: timeout * 1000, progress });
          if (flags.json) printJson({ ...queued, run });
          else {
            print(formatHistory([run]));
            if (run.reason) progressLine(`run ${run.runNumber} ${run.status}: ${run.reason}`);
          }
          return runExit(run.status, run.failureCount);
        });
      }),
    );

  sub('history', 'the sync runs, newest first (S3.5)')
    .option('--limit <n>', 'runs to show (1-1000, default 20)')
    .option('--before <n>', 'runs numbered below this one')
    .option('--by-module', 'one row per module and direction instead of the sums')
    .action(
      (
        crmOrg: string,
        booksOrg: string,
        flags: CommonFlags & { limit?: string; before?: string; byModule?: boolean },
      ) =>
        guarded(async () => {
          const ref = refOf(crmOrg, booksOrg, flags.env);
          const query = {
            ...(flags.limit !== undefined && { limit: flags.limit }),
            ...(flags.before !== undefined && { before: flags.before }),
          };
          const q = parseRequest(HistoryQuerySchema, query, 'history query');
          const runs = await withOperations((ops) => ops.history(ref, q));
          if (flags.json) printJson(runs);
          else print(formatHistory(runs, flags.byModule));
        }),
    );

  sub('run', 'one sync run with its counts, skips by reason and failures')
    .argument('<n>', 'the run number')
    .option('--skipped', 'list the skipped records with their reasons (the first 1,000)')
    .action((crmOrg: string, booksOrg: string, n: string, flags: CommonFlags & { skipped?: boolean }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const runNumber = runNumberOf(n);
        const run = await withOperations((ops) => ops.run(ref, runNumber));
        if (flags.json) printJson(run);
        else print(formatRun(run, flags.skipped === true));
      }),
    );

  sub('failures', 'records that failed to sync (S9.6)')
    .option('--status <status>', 'open, reprocessed or resolved')
    .option('--module <module>', MODULES_HINT)
    .option('--limit <n>', 'failures to show (1-1000, default 50)')
    .action(
      (
        crmOrg: string,
        booksOrg: string,
        flags: CommonFlags & { status?: string; module?: string; limit?: string },
      ) =>
        guarded(async () => {
          const ref = refOf(crmOrg, booksOrg, flags.env);
          const query = parseRequest(
            FailuresQuerySchema,
            {
              ...(flags.status !== undefined && { status: flags.status }),
              ...(flags.module !== undefined && { module: flags.module }),
              ...(flags.limit !== undefined && { limit: flags.limit }),
            },
            'failures query',
          );
          const failures = await withOperations((ops) => ops.failures(ref, query));
          if (flags.json) printJson(failures);
          else print(table(failureRows(failures)));
        }),
    );

  sub('reprocess', 'retry failed records now (S9.6): by failure id, every open one of a module, or all')
    .option('--id <failureId...>', 'the failures to retry (ids as `failures` lists them)')
    .option('--module <module>', `every open failure of this module: ${MODULES_HINT}`)
    .option('--all', 'every open failure')
    .action(
      (
        crmOrg: string,
        booksOrg: string,
        flags: CommonFlags & { id?: string[]; module?: string; all?: boolean },
      ) =>
        guarded(async () => {
          const ref = refOf(crmOrg, booksOrg, flags.env);
          const chosen = [flags.id, flags.module, flags.all].filter((x) => x !== undefined).length;
          if (chosen !== 1)
            throw new OperationError('invalid', 'give exactly one of --id, --module or --all');
          const input: ReprocessInput = {
            ...(flags.id && { failureIds: flags.id }),
            ...(flags.module !== undefined && { module: flags.module as 'customers' }),
            ...(flags.all && { all: true as const }),
            actor: cliActor(),
          };
          parseRequest(ReprocessInputSchema, input, 'reprocess request');
          const result = await withOperations((ops) => ops.reprocess(ref, input));
          if (flags.json) printJson(result);
          else {
            const run = result.run
              ? ` in run ${result.run.runId} (${result.run.status})`
              : ' (nothing to retry: no run)';
            const out = [
              `reprocessed ${result.reprocessed} failure(s)${run}: ${result.resolved} resolved, ` +
                `${result.stillFailing.length} still failing, ${result.notRetried.length} not retried`,
            ];
            if (result.stillFailing.length)
              out.push('', 'Still failing:', table(failureRows(result.stillFailing)));
            if (result.notRetried.length) out.push('', 'Not retried:', table(result.notRetried));
            print(out.join('\n'));
          }
          if (result.run?.status === 'failed') return INTEGRATION_EXIT.failed;
          return result.stillFailing.length > 0 ? INTEGRATION_EXIT.recordsFailed : INTEGRATION_EXIT.ok;
        }),
    );

  sub('fetch', 'update one Books customer or vendor from its CRM record now (S3.3)')
    .requiredOption('--module <module>', 'customers or vendors')
    .requiredOption('--crm-id <id>', 'the CRM record id')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & { module: string; crmId: string }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const input = { module: flags.module as 'customers', crmId: flags.crmId, actor: cliActor() };
        parseRequest(FetchInputSchema, input, 'fetch request');
        const result = await withOperations((ops) => ops.fetchRecord(ref, input));
        if (flags.json) printJson(result);
        else print(describeFetch('fetched', result));
        return fetchExit(result);
      }),
    );

  sub('search', 'search the CRM for a customer or vendor to import (S3.4); an account lists its contacts')
    .argument('<text>', 'part of the name')
    .option('--module <module>', 'customers (default) or vendors')
    .option('--limit <n>', 'hits to show (1-1000, default 20)')
    .action(
      (
        crmOrg: string,
        booksOrg: string,
        text: string,
        flags: CommonFlags & { module?: string; limit?: string },
      ) =>
        guarded(async () => {
          const ref = refOf(crmOrg, booksOrg, flags.env);
          const query = parseRequest(
            CrmSearchQuerySchema,
            {
              q: text,
              ...(flags.module !== undefined && { module: flags.module }),
              ...(flags.limit !== undefined && { limit: flags.limit }),
            },
            'search',
          );
          const hits = await withOperations((ops) => ops.searchCrm(ref, query));
          if (flags.json) printJson(hits);
          else
            print(
              table(
                hits.flatMap((h) => [
                  {
                    module: h.crmModule,
                    'crm id': h.crmId,
                    name: h.name,
                    email: h.email ?? '',
                    books: h.booksId ?? 'not imported',
                  },
                  ...(h.contacts ?? []).map((c) => ({
                    module: '  └ contact',
                    'crm id': c.crmId,
                    name: c.name,
                    email: c.email ?? '',
                    books: '',
                  })),
                ]),
              ),
            );
        }),
    );

  sub('import', 'import one CRM record found by `search` into Books now (S3.4)')
    .requiredOption('--crm-module <module>', 'Accounts, Contacts or Vendors')
    .requiredOption('--crm-id <id>', 'the CRM record id')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & { crmModule: string; crmId: string }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const input = { crmModule: flags.crmModule as 'Accounts', crmId: flags.crmId, actor: cliActor() };
        parseRequest(ImportInputSchema, input, 'import request');
        const result = await withOperations((ops) => ops.importRecord(ref, input));
        if (flags.json) printJson(result);
        else print(describeFetch('imported', result));
        return fetchExit(result);
      }),
    );

  sub('books-contacts', 'the Books customers and vendors that came from the CRM (S3.9)')
    .option('--module <module>', 'customers or vendors (default both)')
    .option('--limit <n>', 'entries to show (1-1000, default 100)')
    .action((crmOrg: string, booksOrg: string, flags: CommonFlags & { module?: string; limit?: string }) =>
      guarded(async () => {
        const ref = refOf(crmOrg, booksOrg, flags.env);
        const query = parseRequest(
          BooksFromCrmQuerySchema,
          {
            ...(flags.module !== undefined && { module: flags.module }),
            ...(flags.limit !== undefined && { limit: flags.limit }),
          },
          'query',
        );
        const entries = await withOperations((ops) => ops.booksFromCrm(ref, query));
        if (flags.json) printJson(entries);
        else
          print(
            table(
              entries.map((e) => ({
                'books id': e.booksId,
                name: e.displayName,
                type: e.contactType,
                'crm module': e.crmModule,
                'crm id': e.crmId,
                linked: shortTime(e.linkedTime),
                deleted: e.deletedIn ?? '',
              })),
            ),
          );
      }),
    );

  group
    .command('audit')
    .description('the audit log (S9.8), of one integration or of all')
    .argument('[crmOrg]', 'the CRM org id (with <booksOrg>)')
    .argument('[booksOrg]', 'the Books org id')
    .option('--env <environment>', 'production or sandbox', 'production')
    .option('--action <action>', 'only this action, e.g. integration.enabled')
    .option('--from <iso>', 'from this time (ISO 8601 with offset, e.g. 2024-05-01T00:00:00Z)')
    .option('--to <iso>', 'until this time')
    .option('--limit <n>', 'entries to show (1-1000, default 100)')
    .option('--json', 'print one JSON document')
    .addHelpText('after', EXIT_HELP)
    .action(
      (
        crmOrg: string | undefined,
        booksOrg: string | undefined,
        flags: CommonFlags & { action?: string; from?: string; to?: string; limit?: string },
      ) =>
        guarded(async () => {
          if ((crmOrg === undefined) !== (booksOrg === undefined))
            throw new OperationError('invalid', 'give both <crmOrg> and <booksOrg>, or neither');
          const ref = crmOrg !== undefined ? refOf(crmOrg, booksOrg!, flags.env) : null;
          const query = {
            ...(flags.action !== undefined && { action: flags.action }),
            ...(flags.from !== undefined && { from: flags.from }),
            ...(flags.to !== undefined && { to: flags.to }),
            ...(flags.limit !== undefined && { limit: flags.limit }),
          };
          parseRequest(AuditQuerySchema, query, 'audit query');
          const entries = await withOperations((ops) => ops.audit(ref, query));
          if (flags.json) printJson(entries);
          else print(formatAudit(entries, ref === null));
        }),
    );
}
