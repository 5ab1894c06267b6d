import { readFile, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import {
  MongoClient,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
} from 'mongodb';
import { loadConfig, type LoadedConfig } from '../workers/config';
import { createLogger } from '../workers/logging';
import { startWorker } from '../workers/service';
import { connectClient } from '../client';
import { syncRunWorkflowId } from '../domain/ids';

/*
 * What every scenario of bench/run.ts shares: the figures they return, their servers' settings, a worker on a
 * bench's own databases, and the meters of our part (CPU of each process, the worker's memory and event loop,
 * MongoDB commands, workflow histories).
 */

export interface Baseline {
  name: string;
  wallMs: number;
  perSecond: number;
}

export interface Figures {
  scenario: string;
  n: number;
  ours: { wallMs: number; perSecond: number };
  baseline: Baseline;
  ratio: number;
  /** A second, wider baseline (e.g. everything the sync writes, not only the target records), with its ratio. */
  widerBaseline?: Baseline & { ratio: number };
  /**
   * initial-sync: the same sync with one activity per record, run on `measuredN` records and extrapolated to
   * N; `speedup` is its wall time over ours.
   */
  perRecord?: Baseline & { measuredN: number; measuredWallMs: number; speedup: number };
  /** With `--commands`: the worker's MongoDB commands during our part, by command and collection, slowest first. */
  oursCommands?: { command: string; count: number; ms: number }[];
  /** CPU time (ms) used during our part: by this process (worker and client) and by each server it started. */
  oursCpuMs?: { benchProcess: number; mongoServer?: number; temporalServer?: number };
  /** This process (the worker) during our part: CPU per record, peak resident memory, event-loop delay p99. */
  worker?: WorkerFigures;
  historyEventsPerExecution?: number[];
  /** The largest payloads (inputs, results, heartbeat details) of any one event of our workflow histories. */
  largestPayloadBytes?: number;
  /** delta-window: the run after the settle window passed, its ratio to the quiet run, the margin, each run. */
  afterWindow?: { wallMs: number; ratio: number };
  settleMs?: number;
  runs?: { runNumber: number; wallMs: number; counts: unknown }[];
  /** two-way: writes on each side, propagation lag, and what went wrong with them (all should be 0). */
  twoWay?: TwoWayFigures;
  servers: { temporal: string; mongo: string; temporalSqlitePragmas: string[] };
}

export interface WorkerFigures {
  cpuUsPerRecord: number;
  peakRssMiB: number;
  eventLoopLagP99Ms: number;
}

export interface TwoWayFigures {
  seconds: number;
  /** Whether the writers started after the initial sync's settle window had passed. */
  settledStart: boolean;
  pollMs: number;
  writes: { crm: number; books: number };
  lagMs: { p50: number; p99: number; max: number };
  /** Writes whose value never arrived on the other side (the record's final value differs). */
  lost: number;
  /** Records on the target side beyond one per source record. */
  duplicated: number;
  /** Updates the sync made back to the side a change came from. */
  echoed: number;
  /** Writes overwritten on their own side before a run carried them (their lag is not measured). */
  superseded: number;
  syncRuns: number;
}

export interface ScenarioContext {
  n: number;
  temporal: string;
  mongoUri: string;
  /** Sync-run tuning from `--chunk N` and `--per-activity N` (else the activity's defaults). */
  tuning: { chunkSize?: number; maxRecordsPerActivity?: number };
  /** `--commands`: time the worker's MongoDB commands during our part. */
  commands: boolean;
  /** Process ids of the servers this run started (none for servers given by address). */
  pids: ServerPids;
}

export type ServerPids = { temporal?: number | undefined; mongo?: number | undefined };

export type Scenario = (ctx: ScenarioContext) => Promise<Omit<Figures, 'servers' | 'scenario'>>;

export interface ScenarioEntry {
  describe: string;
  defaultN: number;
  run: Scenario;
}

/** A connection string with one more option in its query. */
export function withUriOption(uri: string, name: string, value: string): string {
  const url = new URL(uri);
  url.searchParams.set(name, value);
  return url.toString();
}

export const perSecond = (n: number, ms: number) => Math.round((n / Math.max(ms, 1)) * 1000 * 10) / 10;
export const ratioOf = (ms: number, baseMs: number) => Math.round((ms / Math.max(baseMs, 1)) * 100) / 100;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The p-th percentile (0-100) of values, nearest rank; 0 for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** A seconds or milliseconds setting from the environment, else its default. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return process.env[name] && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** CPU time (user + system, ms) a process has used so far, from /proc; undefined where it cannot be read. */
async function processCpuMs(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses, the fields run from stat(5)'s 3rd (state): utime is the 14th and
    // stime the 15th, in clock ticks of 1/100 s (USER_HZ on Linux).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** Counts CPU time from now: of this process, and of each server process given. */
export async function cpuMeter(pids: ServerPids) {
  const self = process.cpuUsage();
  const [mongo0, temporal0] = await Promise.all([processCpuMs(pids.mongo), processCpuMs(pids.temporal)]);
  return async (): Promise<NonNullable<Figures['oursCpuMs']>> => {
    const used = process.cpuUsage(self);
    const [mongo1, temporal1] = await Promise.all([processCpuMs(pids.mongo), processCpuMs(pids.temporal)]);
    return {
      benchProcess: Math.round((used.user + used.system) / 1000),
      ...(mongo0 !== undefined && mongo1 !== undefined && { mongoServer: mongo1 - mongo0 }),
      ...(temporal0 !== undefined && temporal1 !== undefined && { temporalServer: temporal1 - temporal0 }),
    };
  };
}

/** How often the worker's resident memory is sampled: often enough to catch a chunk's peak. */
const RSS_SAMPLE_MS = 100;

/**
 * With CBS_BENCH_CPU_PROFILE set to a file name: profiles this process's main thread (where the worker's
 * activities run) from now until the returned function is called, and writes the profile there (open it
 * in Chrome's DevTools or any `.cpuprofile` viewer). Without it, nothing.
 */
export async function cpuProfile(): Promise<() => Promise<void>> {
  const file = process.env.CBS_BENCH_CPU_PROFILE;
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    session.disconnect();
    process.stderr.write(`CPU profile of the measured part written to ${file}\n`);
  };
}

/**
 * Watches this process (the worker runs in it) from now: its CPU, the peak of its resident memory and the
 * delay of its event loop. The result divides the CPU by the records the part moved.
 */
export function workerMeter() {
  const cpu0 = process.cpuUsage();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, RSS_SAMPLE_MS);
  sampler.unref();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return (records: number): WorkerFigures => {
    clearInterval(sampler);
    delay.disable();
    const cpu = process.cpuUsage(cpu0);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    return {
      cpuUsPerRecord: Math.round((cpu.user + cpu.system) / Math.max(records, 1)),
      peakRssMiB: Math.round(peakRss / 2 ** 20),
      eventLoopLagP99Ms: Math.round(delay.percentile(99) / 1e4) / 100,
    };
  };
}

/**
 * Times the commands a client sends (it must have been created with `monitorCommands`) from now on, by
 * command name and collection; the result lists them slowest first.
 */
export function commandTimer(mongo: MongoClient) {
  const started = new Map<number, { what: string; at: number }>();
  const totals = new Map<string, { count: number; ms: number }>();
  const onStart = (e: CommandStartedEvent) => {
    const target: unknown = e.command[e.commandName];
    const collection = e.commandName === 'getMore' ? String(e.command.collection) : String(target);
    const filter: unknown = e.command.filter;
    // A find's filter fields tell an `_id` point read from a scan: on FerretDB only the first is cheap.
    const on = filter && typeof filter === 'object' ? ` {${Object.keys(filter).join(',')}}` : '';
    started.set(e.requestId, { what: `${e.commandName} ${collection}${on}`, at: performance.now() });
  };
  const onEnd = (e: CommandSucceededEvent | CommandFailedEvent) => {
    const s = started.get(e.requestId);
    if (!s) return;
    started.delete(e.requestId);
    const total = totals.get(s.what) ?? { count: 0, ms: 0 };
    total.count++;
    total.ms += performance.now() - s.at;
    totals.set(s.what, total);
  };
  mongo.on('commandStarted', onStart).on('commandSucceeded', onEnd).on('commandFailed', onEnd);
  return (): NonNullable<Figures['oursCommands']> => {
    mongo.off('commandStarted', onStart).off('commandSucceeded', onEnd).off('commandFailed', onEnd);
    return [...totals]
      .map(([command, t]) => ({ command, count: t.count, ms: Math.round(t.ms) }))
      .sort((a, b) => b.ms - a.ms);
  };
}

/** The bytes of the payloads in one part of a history event, found wherever a `payloads` list stands. */
function payloadBytes(value: unknown): number[] {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const own = (value as { payloads?: unknown }).payloads;
  const here = Array.isArray(own)
    ? [own.reduce((sum: number, p: { data?: Uint8Array | null }) => sum + (p?.data?.length ?? 0), 0)]
    : [];
  return [...here, ...Object.values(value).flatMap(payloadBytes)];
}

/**
 * A workflow's histories along its continue-as-new chain: the number of events of each execution, and the
 * largest payloads of any one event (an activity's input or result, a heartbeat's details, a workflow's
 * input): what the 64 KB bound is about.
 */
export async function historyFigures(client: Client, workflowId: string, firstRunId: string) {
  const eventsPerExecution: number[] = [];
  let largestPayloadBytes = 0;
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    eventsPerExecution.push(events.length);
    for (const event of events) largestPayloadBytes = Math.max(largestPayloadBytes, ...payloadBytes(event));
    runId =
      events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
      undefined;
  }
  return { eventsPerExecution, largestPayloadBytes };
}

/** The production worker and a client against the bench's servers. */
export async function startBenchWorker(config: LoadedConfig, temporal: string, mongoUri: string) {
  const endpoints = {
    temporal: { address: temporal, uiUrl: undefined, description: '' },
    mongo: { uri: mongoUri, description: '' },
  };
  const running = await startWorker(config, endpoints, createLogger('warn'));
  const client = await connectClient({
    connect: config.temporalConnect,
    address: temporal,
    namespace: 'default',
  });
  return { running, client };
}

/** The configuration of a bench on its own databases and task queue, named by `tag`. */
export function benchConfig(tag: string) {
  return loadConfig({
    ...process.env,
    CBS_CRM_DB: `${tag}_crm`,
    CBS_BOOKS_DB: `${tag}_books`,
    CBS_SYNC_DB: `${tag}_sync`,
    CBS_TASK_QUEUE: tag,
    TEMPORAL_ADDRESS: '',
  });
}

/** Drops a bench integration's databases. */
export async function dropBenchDatabases(mongoUri: string, tag: string): Promise<void> {
  const m = await MongoClient.connect(mongoUri);
  for (const suffix of ['crm', 'books', 'sync', 'baseline']) await m.db(`${tag}_${suffix}`).dropDatabase();
  await m.close();
}

/** The figures as lines for a reader: ours, the baselines and ratios, then whatever else the scenario measured. */
export function figuresText(figures: Figures): string {
  const lines = [
    `${figures.scenario}: N=${figures.n}`,
    `  ours      ${figures.ours.wallMs} ms  ${figures.ours.perSecond}/s`,
    `  baseline  ${figures.baseline.wallMs} ms  ${figures.baseline.perSecond}/s  (${figures.baseline.name})`,
    `  ratio     ${figures.ratio}× the baseline's wall time`,
  ];
  const w = figures.widerBaseline;
  if (w) lines.push(`  wider     ${w.wallMs} ms  ${w.perSecond}/s  (${w.name}): ratio ${w.ratio}×`);
  const p = figures.perRecord;
  if (p)
    lines.push(
      `  per-record ${p.wallMs} ms  ${p.perSecond}/s  (${p.name}; measured ${p.measuredWallMs} ms on ${p.measuredN}): ours ${p.speedup}× faster`,
    );
  if (figures.oursCpuMs)
    lines.push(
      `  cpu       ours used ${Object.entries(figures.oursCpuMs)
        .map(([who, ms]) => `${who} ${ms} ms`)
        .join(', ')}`,
    );
  if (figures.worker)
    lines.push(
      `  worker    ${figures.worker.cpuUsPerRecord} µs CPU per record, peak RSS ${figures.worker.peakRssMiB} MiB, event-loop delay p99 ${figures.worker.eventLoopLagP99Ms} ms`,
    );
  if (figures.oursCommands)
    lines.push(
      `  commands  ours sent (slowest first):`,
      ...figures.oursCommands
        .slice(0, 15)
        .map(
          (c) => `            ${String(c.ms).padStart(8)} ms  ${String(c.count).padStart(5)} × ${c.command}`,
        ),
    );
  if (figures.historyEventsPerExecution)
    lines.push(`  history   ${figures.historyEventsPerExecution.join(', ')} events per workflow execution`);
  if (figures.largestPayloadBytes !== undefined)
    lines.push(`  payload   largest ${figures.largestPayloadBytes} bytes in one event`);
  if (figures.runs)
    lines.push(
      ...figures.runs.map((r) => `  run ${r.runNumber}    ${r.wallMs} ms  ${JSON.stringify(r.counts)}`),
    );
  if (figures.twoWay) lines.push(`  two-way   ${JSON.stringify(figures.twoWay)}`);
  const s = figures.servers;
  lines.push(`  servers   ${s.temporal}; ${s.mongo}; SQLite ${s.temporalSqlitePragmas.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

type BenchDeps = Awaited<ReturnType<typeof startBenchWorker>>['running']['deps'];

/**
 * The one-customer integration the transaction and deal benches start from: a CRM org and a USD Books org
 * with 2-decimal prices, CRM account `a1` plus what `seedMore` adds, two-way and fetching everything from the
 * CRM, brought to Books by its initial run. Returns the integration's id.
 */
export async function seedOneCustomerIntegration(
  started: { running: { deps: BenchDeps }; client: Client },
  taskQueue: string,
  orgs: { crmOrgId: string; booksOrgId: string },
  options: { transactionSync: boolean; seedMore?: (deps: BenchDeps) => Promise<void> },
): Promise<string> {
  const { deps } = started.running;
  const { crmOrgId, booksOrgId } = orgs;
  await deps.crmStore.saveOrg({
    id: crmOrgId,
    company_name: 'Bench',
    edition: 'ENTERPRISE',
    mc_status: false,
    iso_code: 'USD',
  });
  await deps.booksStore.saveOrganization({
    organization_id: booksOrgId,
    name: 'Bench Books',
    currency_code: 'USD',
    price_precision: 2,
    tax_rounding: 'entity_level',
  });
  await deps.crmStore
    .module('Accounts')
    .upsertMany(crmOrgId, [{ id: 'a1', data: { id: 'a1', Account_Name: 'Bench Customer' } }]);
  await options.seedMore?.(deps);
  const module = { extent: 'fetch_from_crm' as const, duplicatePolicy: 'clone' as const, fieldMaps: [] };
  const saved = await deps.syncState.saveIntegration({
    crmOrgId,
    booksOrgId,
    environment: 'production',
    direction: 'two_way',
    status: 'active',
    config: {
      customers: { ...module, module: 'accounts', includeOrphanContacts: false },
      vendors: module,
      items: module,
      transactionSync: options.transactionSync,
      periodicSyncMinutes: 120,
    },
    version: 0,
  });
  const run = await started.client.workflow.execute('syncRunWorkflow', {
    taskQueue,
    workflowId: syncRunWorkflowId(saved._id, 1),
    args: [{ integrationId: saved._id, runNumber: 1, trigger: 'initial' }],
  });
  if ((run as { status: string }).status !== 'completed') throw new Error('the seeding sync run failed');
  return saved._id;
}
