import { createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { table } from './format';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { BOOKS_ID_KEYS, BOOKS_MODULES } from '../domain/books-schemas';
import { CRM_MODULES, type CrmModule } from '../domain/crm-schemas';
import { splitDollarKeys } from '../domain/safe-keys';
import {
  DEFAULT_SEED_OPTIONS,
  generateSeed,
  plannedSeedCounts,
  seedOptions,
  seedSettings,
  type SeedOptions,
} from '../domain/seed';
import {
  ListResponseError,
  RecordIdSchema,
  parseListPage,
  validateRecords,
  type ListFormat,
  type RecordFailure,
} from '../domain/validation';
import { servicesUp } from '../scripts/services';
import { BOOKS_RECORD_MODULES, createBooksStore, type BooksRecordModule } from '../stores/books-store';
import { createCrmStore } from '../stores/crm-store';
import { InvalidRecordsError, MAX_BATCH, describeFailure } from '../stores/record-collection';
import type { RecordCollection, UpsertResult } from '../stores/record-store';
import { loadConfig } from '../workers/config';

/*
 * `seed`, `import` and `export`: data in and out of the CRM and Books stores in the products' API shapes.
 * The work is in runSeed / runImport / runExport (callable from tests); the commands parse options, connect,
 * print and set the exit status.
 */

/**
 * Exit statuses of these commands (documented in the README):
 * 0 done; 1 failed (server unreachable, write failed: retry); 2 unusable input (unknown system or module, bad
 * org id or option, unreadable file, not a list response), nothing written; 4 some records invalid, the valid
 * ones written and each invalid one reported.
 */
export const DATA_EXIT = { ok: 0, failed: 1, unusable: 2, invalidRecords: 4 } as const;
export type DataExitCode = (typeof DATA_EXIT)[keyof typeof DATA_EXIT];

export type DataStores = {
  crm: ReturnType<typeof createCrmStore>;
  books: ReturnType<typeof createBooksStore>;
};

/** The stores over one client, their indexes created (awaited). */
export async function openDataStores(
  client: MongoClient,
  dbs: { crmDb: string; booksDb: string },
): Promise<DataStores> {
  const stores = {
    crm: createCrmStore(client.db(dbs.crmDb)),
    books: createBooksStore(client.db(dbs.booksDb)),
  };
  await stores.crm.ensureIndexes();
  await stores.books.ensureIndexes();
  return stores;
}

// ---------------------------------------------------------------------------------------------------------
// Modules

export type DataSystem = 'crm' | 'books';

interface ModuleInfo {
  system: DataSystem;
  module: string;
  idKey: string;
  schema: z.ZodType;
  collection: (stores: DataStores) => RecordCollection<Record<string, unknown>>;
}

/** The module a user named (case-insensitively), or an error message listing the known ones. */
export function resolveModule(system: string, name: string): ModuleInfo | string {
  if (system === 'crm') {
    const module = Object.keys(CRM_MODULES).find((m) => m.toLowerCase() === name.toLowerCase()) as
      CrmModule | undefined;
    if (!module) return `unknown CRM module "${name}"; one of ${Object.keys(CRM_MODULES).join(', ')}`;
    return {
      system,
      module,
      idKey: 'id',
      schema: CRM_MODULES[module],
      collection: (s) => s.crm.module(module) as unknown as RecordCollection<Record<string, unknown>>,
    };
  }
  if (system === 'books') {
    const module = BOOKS_RECORD_MODULES.find((m) => m === name.toLowerCase()) as
      BooksRecordModule | undefined;
    if (!module) return `unknown Books module "${name}"; one of ${BOOKS_RECORD_MODULES.join(', ')}`;
    return {
      system,
      module,
      idKey: BOOKS_ID_KEYS[module],
      schema: BOOKS_MODULES[module],
      collection: (s) => s.books.module(module) as unknown as RecordCollection<Record<string, unknown>>,
    };
  }
  return `unknown system "${system}"; crm or books`;
}

const plain = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

// ---------------------------------------------------------------------------------------------------------
// Import

export interface ImportOptions {
  system: string;
  module: string;
  file: string;
  org: string;
  /** The stores, or how to open them (only once the input has proved usable). */
  stores: DataStores | (() => Promise<DataStores>);
  /** Records per write (default 1,000). */
  batchSize?: number;
}

export interface ImportReport {
  system: string;
  module: string;
  org: string;
  file: string;
  format?: ListFormat;
  /** Records in the file. */
  read: number;
  /** Valid records now stored (inserted + updated + unchanged). */
  imported: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Every refused record, in file order: index (0-based, in the file's list), id, field and reason. */
  invalid: RecordFailure[];
  /** CRM `$…` metadata keys (`$approved`, `$editable`, …) set aside before validation, not stored. */
  metaKeysDropped: number;
  exitCode: DataExitCode;
  /** Why the input was unusable (exit status 2). */
  error?: string;
}

/**
 * Imports a list file into one module of one org: a CRM `{"data": [...]}` page, a Books
 * `{"code": 0, "<module>": [...]}` page, a JSON array or NDJSON. Validates every record, writes the valid ones
 * (idempotent: re-importing the same file changes nothing) and reports each invalid one. Exit status 2, with
 * nothing written, when the module, org or file is unusable; 4 when some records were refused; else 0.
 * Server errors are thrown (retryable).
 */
export async function runImport(opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = {
    system: opts.system,
    module: opts.module,
    org: opts.org,
    file: opts.file,
    read: 0,
    imported: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    invalid: [],
    metaKeysDropped: 0,
    exitCode: DATA_EXIT.ok,
  };
  const unusable = (error: string): ImportReport => ({ ...report, exitCode: DATA_EXIT.unusable, error });

  const info = resolveModule(opts.system, opts.module);
  if (typeof info === 'string') return unusable(info);
  report.module = info.module;
  const org = RecordIdSchema.safeParse(opts.org);
  if (!org.success)
    return unusable(`bad org id ${JSON.stringify(opts.org)}: ${org.error.issues[0]?.message}`);
  const batchSize = z
    .number()
    .int()
    .min(1)
    .max(MAX_BATCH)
    .parse(opts.batchSize ?? 1000);

  let text: string;
  try {
    text = await fs.readFile(opts.file, 'utf8');
  } catch (err) {
    return unusable(`cannot read ${opts.file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let records: unknown[];
  try {
    const whole = parseWhole(text);
    const listKey = whole.ok ? wrappedListKey(whole.value, info.idKey) : undefined;
    if (listKey !== undefined)
      return unusable(
        `${opts.file} holds "${listKey}" in an object that is neither a CRM {"data": [...]} nor a Books ` +
          `{"code": 0, "${info.module}": [...]} list response`,
      );
    // A whole-JSON list is handed over parsed (one parse of a large file); anything else as text (NDJSON).
    const body = whole.ok && isListEnvelope(whole.value) ? whole.value : text;
    const page = parseListPage(body, info.system === 'books' ? { booksKey: info.module } : {});
    const foreign = info.system === 'crm' ? 'books' : 'crm';
    if (page.format === foreign)
      return unusable(
        `${opts.file} is a ${foreign === 'crm' ? 'CRM' : 'Books'} list response, not ${info.system}`,
      );
    report.format = page.format;
    records = page.records;
  } catch (err) {
    if (err instanceof ListResponseError) return unusable(`${opts.file}: ${err.message}`);
    throw err;
  }
  report.read = records.length;

  // Real CRM exports carry `$approved`-style metadata keys: set them aside rather than refuse the records.
  if (info.system === 'crm') {
    records = records.map((record) => {
      if (!plain(record)) return record;
      const { record: rest, meta } = splitDollarKeys(record);
      report.metaKeysDropped += Object.keys(meta).length;
      return rest;
    });
  }

  const { invalid } = validateRecords(info.schema, records, { idKey: info.idKey });
  const refused = new Map(invalid.map((f) => [f.index, f]));
  const firstWithId = new Map<string, number>();
  const valid: { index: number; id: string; data: Record<string, unknown> }[] = [];
  records.forEach((record, index) => {
    if (refused.has(index) || !plain(record)) return;
    const id = String(record[info.idKey]);
    const earlier = firstWithId.get(id);
    if (earlier !== undefined) {
      refused.set(index, {
        index,
        id,
        field: info.idKey,
        reason: `duplicate id: record #${earlier} has it too`,
      });
      return;
    }
    firstWithId.set(id, index);
    valid.push({ index, id, data: record });
  });

  const stores = typeof opts.stores === 'function' ? await opts.stores() : opts.stores;
  const collection = info.collection(stores);
  for (let start = 0; start < valid.length; start += batchSize) {
    let batch = valid.slice(start, start + batchSize);
    // The store checks a little more than the schema (keys it cannot store): move those to the report too.
    for (;;) {
      try {
        const result = await collection.upsertMany(
          org.data,
          batch.map((r) => ({ id: r.id, data: r.data })),
        );
        add(report, result);
        break;
      } catch (err) {
        if (!(err instanceof InvalidRecordsError)) throw err;
        const bad = new Set(err.failures.map((f) => f.index));
        for (const f of err.failures) {
          const index = batch[f.index]!.index;
          refused.set(index, { ...f, index });
        }
        batch = batch.filter((_r, i) => !bad.has(i));
        if (batch.length === 0) break;
      }
    }
  }

  report.invalid = [...refused.values()].sort((a, b) => a.index - b.index);
  report.exitCode = report.invalid.length > 0 ? DATA_EXIT.invalidRecords : DATA_EXIT.ok;
  return report;
}

function parseWhole(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const isListEnvelope = (value: unknown) =>
  Array.isArray(value) || (plain(value) && ('data' in value || 'code' in value || value.status === 'error'));

/**
 * The array key of a file that is one JSON object holding a list but neither list envelope (e.g. Books'
 * `{"contacts": [...]}` without its `code`). Such a file would otherwise pass as NDJSON of one record and be
 * refused record by record; it is unusable input instead. A one-line record with its id is left alone.
 */
function wrappedListKey(value: unknown, idKey: string): string | undefined {
  if (!plain(value) || isListEnvelope(value) || idKey in value) return undefined;
  return Object.keys(value).find((key) => Array.isArray(value[key]));
}

function add(
  report: { inserted: number; updated: number; unchanged: number; imported: number },
  r: UpsertResult,
) {
  report.inserted += r.inserted;
  report.updated += r.updated;
  report.unchanged += r.unchanged;
  report.imported += r.inserted + r.updated + r.unchanged;
}

// ---------------------------------------------------------------------------------------------------------
// Export

export interface ExportOptions {
  system: string;
  module: string;
  org: string;
  /** `api` (default): the list response shape; `ndjson`: one record per line. */
  format?: 'api' | 'ndjson';
  out: NodeJS.WritableStream;
  stores: DataStores | (() => Promise<DataStores>);
  /** Records read per page from the store (default 1,000). */
  pageSize?: number;
}

export interface ExportReport {
  system: string;
  module: string;
  org: string;
  exported: number;
  exitCode: DataExitCode;
  error?: string;
}

async function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/**
 * Writes the live records of one module of one org in the API's list shape (CRM `{"data": [...], "info": …}`,
 * Books `{"code": 0, "message": "success", "<module>": [...], "page_context": …}`) or as NDJSON, streaming page
 * by page in (modifiedTime, id) order. Read-only. Exit status 2 for an unknown module or a bad org id.
 */
export async function runExport(opts: ExportOptions): Promise<ExportReport> {
  const report: ExportReport = {
    system: opts.system,
    module: opts.module,
    org: opts.org,
    exported: 0,
    exitCode: 0,
  };
  const info = resolveModule(opts.system, opts.module);
  if (typeof info === 'string') return { ...report, exitCode: DATA_EXIT.unusable, error: info };
  report.module = info.module;
  const org = RecordIdSchema.safeParse(opts.org);
  if (!org.success)
    return { ...report, exitCode: DATA_EXIT.unusable, error: `bad org id ${JSON.stringify(opts.org)}` };
  const pageSize = z
    .number()
    .int()
    .min(1)
    .max(MAX_BATCH)
    .parse(opts.pageSize ?? 1000);
  const ndjson = opts.format === 'ndjson';
  const stores = typeof opts.stores === 'function' ? await opts.stores() : opts.stores;
  const collection = info.collection(stores);

  if (!ndjson)
    await write(
      opts.out,
      info.system === 'crm' ? '{"data":[' : `{"code":0,"message":"success","${info.module}":[`,
    );
  let after = null;
  for (;;) {
    const page = await collection.findChangedSince(org.data, after, pageSize);
    for (const record of page.records) {
      if (record.deleted) continue;
      const json = JSON.stringify(record.data);
      await write(opts.out, ndjson ? `${json}\n` : `${report.exported === 0 ? '\n' : ',\n'}${json}`);
      report.exported++;
    }
    if (!page.next) break;
    after = page.next;
  }
  if (!ndjson) {
    const n = report.exported;
    const tail =
      info.system === 'crm'
        ? { info: { per_page: n, count: n, page: 1, more_records: false } }
        : {
            page_context: {
              page: 1,
              per_page: n,
              has_more_page: false,
              sort_column: 'last_modified_time',
              sort_order: 'A',
            },
          };
    await write(opts.out, `\n],${JSON.stringify(tail).slice(1)}\n`);
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------
// Seed

export interface SeedRunOptions {
  options: Partial<SeedOptions>;
  stores: DataStores;
  /** Called after every batch with a progress line. */
  progress?: (line: string) => void;
}

interface ModuleCounts {
  written: number;
  inserted: number;
  updated: number;
  unchanged: number;
  invalid: number;
}

export interface SeedReport {
  options: SeedOptions;
  crm: Record<string, ModuleCounts>;
  books: Record<string, ModuleCounts>;
  settings: Record<string, number>;
  /** Records generated (valid and invalid). */
  records: number;
  written: number;
  invalid: number;
  elapsedMs: number;
  recordsPerSecond: number;
  /** The CRM part alone (its records, time and rate). */
  crmRecords: number;
  crmElapsedMs: number;
  crmRecordsPerSecond: number;
}

const perSecond = (n: number, ms: number) => (ms > 0 ? Math.round((n * 1000) / ms) : 0);

/**
 * Generates the seeded dataset and writes it through the stores in batches: settings first, then each module.
 * Invalid records are counted and not written. Idempotent: the same options again write nothing new.
 * Throws a ZodError for bad options, and the driver's error when the server fails.
 */
export async function runSeed({ options, stores, progress = () => {} }: SeedRunOptions): Promise<SeedReport> {
  const o = seedOptions(options);
  const t0 = Date.now();
  const settings = seedSettings(o);
  const settingsCounts: Record<string, number> = {};
  const saved = (name: string, r: { inserted: number; updated: number; unchanged: number }) =>
    (settingsCounts[name] = r.inserted + r.updated + r.unchanged);
  saved('crm org', await stores.crm.saveOrg(settings.crmOrg));
  saved('crm roles', await stores.crm.saveRoles(o.crmOrg, settings.crmRoles));
  saved(
    'crm users',
    await stores.crm.users.upsertMany(
      o.crmOrg,
      settings.crmUsers.map((u) => ({ id: u.id, data: u })),
    ),
  );
  saved('crm pipelines', await stores.crm.savePipelines(o.crmOrg, settings.crmPipelines));
  saved('crm views', await stores.crm.saveViews(o.crmOrg, settings.crmViews));
  saved('books organization', await stores.books.saveOrganization(settings.booksOrganization));
  saved('books roles', await stores.books.saveRoles(o.booksOrg, settings.booksRoles));
  saved('books currencies', await stores.books.saveCurrencies(o.booksOrg, settings.booksCurrencies));
  saved('books taxes', await stores.books.saveTaxes(o.booksOrg, settings.booksTaxes));
  saved(
    'books users',
    await stores.books.module('users').upsertMany(
      o.booksOrg,
      settings.booksUsers.map((u) => ({ id: u.user_id, data: u })),
    ),
  );

  const planned = plannedSeedCounts(o).total;
  const report: SeedReport = {
    options: o,
    crm: {},
    books: {},
    settings: settingsCounts,
    records: 0,
    written: 0,
    invalid: 0,
    elapsedMs: 0,
    recordsPerSecond: 0,
    crmRecords: 0,
    crmElapsedMs: 0,
    crmRecordsPerSecond: 0,
  };
  const tRecords = Date.now();
  for (const batch of generateSeed(o)) {
    const info = resolveModule(batch.system, batch.module);
    if (typeof info === 'string') throw new Error(info);
    const { invalid } = validateRecords(info.schema, batch.records, { idKey: info.idKey });
    const refused = new Set(invalid.map((f) => f.index));
    const writes = batch.records
      .filter((_r, i) => !refused.has(i))
      .map((data) => ({ id: String(data[info.idKey]), data }));
    const org = batch.system === 'crm' ? o.crmOrg : o.booksOrg;
    const result = await info.collection(stores).upsertMany(org, writes);
    const counts = (report[batch.system][info.module] ??= {
      written: 0,
      inserted: 0,
      updated: 0,
      unchanged: 0,
      invalid: 0,
    });
    counts.inserted += result.inserted;
    counts.updated += result.updated;
    counts.unchanged += result.unchanged;
    counts.written += writes.length;
    counts.invalid += refused.size;
    report.records += batch.records.length;
    report.written += writes.length;
    report.invalid += refused.size;
    const elapsed = Date.now() - tRecords;
    if (batch.system === 'crm') {
      report.crmRecords += batch.records.length;
      report.crmElapsedMs = elapsed;
    }
    progress(
      `seed ${batch.system} ${info.module}: +${batch.records.length} (${refused.size} invalid) ` +
        `${report.records}/${planned} records, ${perSecond(report.records, elapsed)} records/s`,
    );
  }
  report.elapsedMs = Date.now() - t0;
  report.recordsPerSecond = perSecond(report.records, Date.now() - tRecords);
  report.crmRecordsPerSecond = perSecond(report.crmRecords, report.crmElapsedMs);
  return report;
}

// ---------------------------------------------------------------------------------------------------------
// The commands

const progressLine = (line: string) => process.stderr.write(`${line}\n`);

/** A MongoDB connection from MONGODB_URI, or the local server (`services up`, started when needed). */
async function connect(): Promise<{ stores: DataStores; close(): Promise<void> }> {
  const { app } = loadConfig();
  const uri = app.mongo.uri ?? (await servicesUp(app, progressLine)).mongo.uri;
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 15_000, appName: 'crm-books-sync' });
  await client.connect();
  try {
    return { stores: await openDataStores(client, app.mongo), close: () => client.close() };
  } catch (err) {
    await client.close();
    throw err;
  }
}

/**
 * A numeric option as a number (NaN when it is none). Checking is left to seedOptions, so every bad option is
 * reported at once, with exit status 2, rather than the first one by commander with status 1.
 */
function numeric(value: string): number {
  return value.trim() === '' ? Number.NaN : Number(value);
}

function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

interface SeedFlags {
  seed?: number;
  accounts?: number;
  orphanContacts?: number;
  vendors?: number;
  products?: number;
  deals?: number;
  users?: number;
  booksCustomers?: number;
  booksVendors?: number;
  booksItems?: number;
  duplicates?: number;
  invalidFraction?: number;
  batchSize?: number;
  crmOrg?: string;
  booksOrg?: string;
  json?: boolean;
}

/** Adds `seed`, `import` and `export` to the CLI. */
export function registerDataCommands(program: Command): void {
  const d = DEFAULT_SEED_OPTIONS;
  program
    .command('seed')
    .description(
      'write a deterministic, Zoho-shaped dataset into the CRM and Books stores (progress on stderr)',
    )
    .option('--seed <n>', `seed of the generator (default ${d.seed})`, numeric)
    .option('--accounts <n>', `CRM accounts, each with 0-4 contacts (default ${d.accounts})`, numeric)
    .option('--orphan-contacts <n>', `CRM contacts without an account (default ${d.orphanContacts})`, numeric)
    .option('--vendors <n>', `CRM vendors (default ${d.vendors})`, numeric)
    .option('--products <n>', `CRM products (default ${d.products})`, numeric)
    .option('--deals <n>', `CRM deals (default ${d.deals})`, numeric)
    .option('--users <n>', `users of both orgs (default ${d.users})`, numeric)
    .option('--books-customers <n>', `Books-only customers (default ${d.booksCustomers})`, numeric)
    .option('--books-vendors <n>', `Books-only vendors (default ${d.booksVendors})`, numeric)
    .option('--books-items <n>', `Books-only items (default ${d.booksItems})`, numeric)
    .option('--duplicates <n>', `Books records named like CRM ones (default ${d.duplicates})`, numeric)
    .option('--invalid-fraction <f>', `share of invalid records, 0-1 (default ${d.invalidFraction})`, numeric)
    .option('--batch-size <n>', `records per write (default ${d.batchSize})`, numeric)
    .option('--crm-org <id>', `CRM org id (default ${d.crmOrg})`)
    .option('--books-org <id>', `Books org id (default ${d.booksOrg})`)
    .option('--json', 'print the summary as one JSON object')
    .addHelpText(
      'after',
      '\nExit status: 0 seeded; 2 bad options, nothing written; 1 failure (e.g. server unreachable).',
    )
    .action(async (flags: SeedFlags) => {
      const { json, ...options } = flags;
      let checked: SeedOptions;
      try {
        checked = seedOptions(options);
      } catch (err) {
        if (!(err instanceof z.ZodError)) throw err;
        const flag = (key: PropertyKey | undefined) =>
          String(key).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        progressLine(`seed: ${err.issues.map((i) => `--${flag(i.path[0])}: ${i.message}`).join('; ')}`);
        process.exitCode = DATA_EXIT.unusable;
        return;
      }
      const connection = await connect();
      try {
        const report = await runSeed({ options: checked, stores: connection.stores, progress: progressLine });
        if (json) printJson(report);
        else process.stdout.write(`${formatSeedReport(report)}\n`);
      } finally {
        await connection.close();
      }
    });

  program
    .command('import')
    .description(
      'import a CRM {"data":[...]} page, a Books {"code":0,"<module>":[...]} page, a JSON array or NDJSON',
    )
    .argument('<system>', 'crm or books')
    .argument(
      '<module>',
      `CRM: ${Object.keys(CRM_MODULES).join(', ')}; Books: ${BOOKS_RECORD_MODULES.join(', ')}`,
    )
    .argument('<file>', 'the file to import')
    .requiredOption('--org <id>', 'the org to import into')
    .option('--json', 'print the report as one JSON object')
    .addHelpText(
      'after',
      '\nExit status: 0 all imported; 4 some records invalid (the valid ones imported); 2 unusable input, nothing written; 1 failure.',
    )
    .action(async (system: string, module: string, file: string, flags: { org: string; json?: boolean }) => {
      let connection: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        const report = await runImport({
          system,
          module,
          file,
          org: flags.org,
          stores: async () => (connection = await connect()).stores,
        });
        if (flags.json) printJson(report);
        else if (report.error) progressLine(`import: ${report.error}`);
        else {
          process.stdout.write(
            `${report.system} ${report.module} → org ${report.org}: ${report.read} read, ${report.imported} imported ` +
              `(${report.inserted} new, ${report.updated} updated, ${report.unchanged} unchanged), ` +
              `${report.invalid.length} invalid\n`,
          );
          for (const failure of report.invalid)
            process.stdout.write(`  invalid ${describeFailure(failure)}\n`);
        }
        process.exitCode = report.exitCode;
      } finally {
        await connection?.close();
      }
    });

  program
    .command('export')
    .description('write a module of an org in its API list shape (or NDJSON)')
    .argument('<system>', 'crm or books')
    .argument('<module>', 'the module, as for import')
    .requiredOption('--org <id>', 'the org to export')
    .option('--format <format>', 'api (the list response) or ndjson', 'api')
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      '\nExit status: 0 exported; 2 unknown system, module or format, or bad org id; 1 failure.',
    )
    .action(async (system: string, module: string, flags: { org: string; format: string; out?: string }) => {
      if (flags.format !== 'api' && flags.format !== 'ndjson') {
        progressLine(`export: --format must be api or ndjson`);
        process.exitCode = DATA_EXIT.unusable;
        return;
      }
      if (typeof resolveModule(system, module) === 'string' || !RecordIdSchema.safeParse(flags.org).success) {
        const info = resolveModule(system, module);
        progressLine(
          `export: ${typeof info === 'string' ? info : `bad org id ${JSON.stringify(flags.org)}`}`,
        );
        process.exitCode = DATA_EXIT.unusable;
        return;
      }
      const connection = await connect();
      const out = flags.out ? createWriteStream(flags.out) : process.stdout;
      try {
        const report = await runExport({
          system,
          module,
          org: flags.org,
          format: flags.format,
          out,
          stores: connection.stores,
        });
        if (flags.out) {
          out.end();
          await once(out, 'finish');
        }
        progressLine(`export: ${report.exported} ${report.module} record(s) of org ${report.org}`);
        process.exitCode = report.exitCode;
      } finally {
        await connection.close();
      }
    });
}

/** The seed summary as a table. */
export function formatSeedReport(report: SeedReport): string {
  const rows = [
    ...Object.entries(report.crm).map(([m, c]) => ({ system: 'crm', module: m, ...c })),
    ...Object.entries(report.books).map(([m, c]) => ({ system: 'books', module: m, ...c })),
  ];
  const cols = ['system', 'module', 'written', 'inserted', 'updated', 'unchanged', 'invalid'];
  return [
    `Seeded CRM org ${report.options.crmOrg} and Books org ${report.options.booksOrg} (seed ${report.options.seed})`,
    table(rows, cols),
    `settings: ${Object.entries(report.settings)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `${report.records} records (${report.written} written, ${report.invalid} invalid, not written) in ` +
      `${(report.elapsedMs / 1000).toFixed(1)} s: ${report.recordsPerSecond} records/s`,
    `CRM: ${report.crmRecords} records in ${(report.crmElapsedMs / 1000).toFixed(1)} s: ` +
      `${report.crmRecordsPerSecond} records/s`,
  ].join('\n');
}
