import { createWriteStream, promises as fs } from 'node:fs';
import { once } from 'node:events';
import type { Command, CommanderError } from 'commander';
import { table } from '../format';
import { MongoClient } from 'mongodb';
import { z } from 'zod';
import { BOOKS_ID_KEYS, BOOKS_MODULES, BOOKS_RECORD_KEYS } from '../../domain/books-schemas';
import { CRM_MODULES, type CrmModule } from '../../domain/crm-schemas';
import { splitDollarKeys } from '../../domain/safe-keys';
import {
  DEFAULT_SEED_OPTIONS,
  generateSeed,
  plannedSeedCounts,
  seedOptions,
  seedSettings,
  type SeedOptions,
} from './seed';
import { idsAsText, readImportFile, type ImportFormat, type ImportShape } from '../../domain/import-files';
import {
  CurrencyCodeSchema,
  ListResponseError,
  RecordIdSchema,
  recordId,
  validateRecords,
  type FieldProblem,
  type RecordFailure,
} from '../../domain/validation';
import { servicesUp } from '../../scripts/services';
import { BOOKS_RECORD_MODULES, createBooksStore, type BooksRecordModule } from '../../stores/books-store';
import { createCrmStore } from '../../stores/crm-store';
import {
  InvalidRecordsError,
  MAX_BATCH,
  describeFailure,
  type MongoRecordCollection,
} from '../../stores/record-collection';
import type { UpsertResult } from '../../stores/record-store';
import { loadConfig } from '../../workers/config';

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
  /** Where the module's records are in the API's responses. */
  shape: ImportShape;
  collection: (stores: DataStores) => MongoRecordCollection<Record<string, unknown>>;
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
      shape: { system, module, idKey: 'id' },
      collection: (s) =>
        s.crm.collections[module] as unknown as MongoRecordCollection<Record<string, unknown>>,
    };
  }
  if (system === 'books') {
    const module = BOOKS_RECORD_MODULES.find((m) => m === name.toLowerCase()) as
      BooksRecordModule | undefined;
    if (!module) return `unknown Books module "${name}"; one of ${BOOKS_RECORD_MODULES.join(', ')}`;
    const idKey = BOOKS_ID_KEYS[module];
    return {
      system,
      module,
      idKey,
      schema: BOOKS_MODULES[module],
      shape: { system, module, idKey, listKey: module, recordKey: BOOKS_RECORD_KEYS[module] },
      collection: (s) =>
        s.books.collections[module] as unknown as MongoRecordCollection<Record<string, unknown>>,
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
  org: string | undefined;
  /** The stores, or how to open them (only once the input has proved usable). */
  stores: DataStores | (() => Promise<DataStores>);
  /** Records per write (default 1,000). */
  batchSize?: number;
  /** Refuse the records whose currency the org has not enabled; without it they are imported with a warning. */
  strict?: boolean;
  /** Create the org when the store does not have it, rather than refuse the import. */
  createOrg?: boolean;
  /** The base currency of an org created by createOrg (default USD). */
  baseCurrency?: string;
}

export interface ImportReport {
  system: string;
  module: string;
  org: string;
  file: string;
  format?: ImportFormat;
  /** Records in the file. */
  read: number;
  /** Valid records now stored (inserted + updated + unchanged). */
  imported: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** Every refused record, in file order: index (0-based, in the file's list), id and each of its problems. */
  invalid: RecordFailure[];
  /** Records imported with a warning (a currency the org has not enabled), in file order. */
  warnings: RecordFailure[];
  /** Why currencies were not checked, when they were not. */
  currencyCheck?: string;
  /** Whether the org was created (createOrg). */
  orgCreated: boolean;
  /** CRM `$…` metadata keys (`$approved`, `$editable`, …) set aside before validation, not stored. */
  metaKeysDropped: number;
  exitCode: DataExitCode;
  /** Why the input was unusable (exit status 2). */
  error?: string;
}

/**
 * Imports a file into one module of one org: any response shape of the module's API (a CRM `{"data": [...]}`,
 * a Books list `{"code": 0, "<module>": [...]}` or single record `{"code": 0, "<singular>": {...}}`), one
 * record object, a JSON array, NDJSON or pretty-printed records. Ids given as numbers are taken as their
 * decimal strings when exact. Validates every record, reporting each problem of each refused one, merges the
 * valid ones over the stored records (fields a list leaves out are kept; the source's modified time is kept)
 * and checks their currency against the org's (a warning, or a refusal when strict). Idempotent: importing the
 * same file again changes nothing. Exit status 2, with nothing written, when the module, org or file is
 * unusable, the file holds no records, or the org does not exist (unless createOrg); 4 when some records were
 * refused; else 0. Server errors are thrown (retryable).
 */
export async function runImport(opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = {
    system: opts.system,
    module: opts.module,
    org: opts.org ?? '',
    file: opts.file,
    read: 0,
    imported: 0,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    invalid: [],
    warnings: [],
    orgCreated: false,
    metaKeysDropped: 0,
    exitCode: DATA_EXIT.ok,
  };
  const unusable = (error: string): ImportReport => ({ ...report, exitCode: DATA_EXIT.unusable, error });

  const info = resolveModule(opts.system, opts.module);
  if (typeof info === 'string') return unusable(info);
  report.module = info.module;
  if (opts.org === undefined) return unusable('the org to import into is missing: give it with --org ID');
  const org = RecordIdSchema.safeParse(opts.org);
  if (!org.success)
    return unusable(`bad org id ${JSON.stringify(opts.org)}: ${org.error.issues[0]?.message}`);
  const baseCurrency = CurrencyCodeSchema.safeParse(opts.baseCurrency ?? 'USD');
  if (!baseCurrency.success)
    return unusable(
      `bad base currency ${JSON.stringify(opts.baseCurrency)}: ${baseCurrency.error.issues[0]?.message}`,
    );
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
    const file = readImportFile(text, info.shape);
    report.format = file.format;
    records = file.records;
  } catch (err) {
    if (err instanceof ListResponseError) return unusable(`${opts.file}: ${err.message}`);
    throw err;
  }
  if (records.length === 0) return unusable(`nothing to import: ${opts.file} holds no records`);
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
  const { valid, refused } = checkRecords(info, records);

  const stores = typeof opts.stores === 'function' ? await opts.stores() : opts.stores;
  const known = await orgCurrencies(stores, info.system, org.data);
  if (!known && !opts.createOrg)
    return unusable(
      `org ${org.data} does not exist in the ${info.system === 'crm' ? 'CRM' : 'Books'} store; seed it, or ` +
        `pass --create-org to create it (with --base-currency, default USD)`,
    );
  const currencies = known ?? { enabled: [baseCurrency.data] };
  let writes = valid;
  if (currencies.enabled) {
    const { checked, unknownCurrency } = checkCurrencies(info, writes, currencies.enabled, org.data);
    for (const failure of unknownCurrency) {
      if (opts.strict) refused.set(failure.index, failure);
      else report.warnings.push(failure);
    }
    writes = opts.strict ? checked : writes;
  } else report.currencyCheck = currencies.why;

  if (!known && writes.length > 0) {
    await createOrg(stores, info.system, org.data, baseCurrency.data);
    report.orgCreated = true;
  }
  const collection = info.collection(stores);
  for (let start = 0; start < writes.length; start += batchSize) {
    let batch = writes.slice(start, start + batchSize);
    // The store checks a little more than the schema (keys it cannot store): move those to the report too.
    for (;;) {
      try {
        const result = await collection.importMany(
          org.data,
          batch.map((r) => ({ id: r.id, data: r.data })),
        );
        add(report, result);
        for (const f of result.refused) {
          const index = batch[f.index]!.index;
          refused.set(index, { ...f, index });
        }
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

interface ValidRecord {
  index: number;
  id: string;
  data: Record<string, unknown>;
}

/**
 * The file's records split into the valid ones and the refused ones (by index), each refusal with every
 * problem of its record: ids given as inexact numbers, the schema's problems, an id used twice.
 */
function checkRecords(
  info: ModuleInfo,
  records: readonly unknown[],
): { valid: ValidRecord[]; refused: Map<number, RecordFailure> } {
  const idProblems = new Map<number, FieldProblem[]>();
  const normalized = records.map((record, index) => {
    if (!plain(record)) return record;
    const { record: data, problems } = idsAsText(record);
    if (problems.length > 0) idProblems.set(index, problems);
    return data;
  });
  const refused = new Map<number, RecordFailure>();
  const { invalid } = validateRecords(info.schema, normalized, { idKey: info.idKey });
  for (const failure of invalid) refused.set(failure.index, failure);
  for (const [index, problems] of idProblems) {
    // The exact reason of an id given as a number comes first; the schema's "expected string" of it goes.
    const rest = (refused.get(index)?.problems ?? []).filter(
      (p) => !problems.some((q) => q.field === p.field),
    );
    const all = [...problems, ...rest];
    const id = problems.some((p) => p.field === info.idKey)
      ? undefined
      : recordId(normalized[index], info.idKey);
    refused.set(index, { index, ...(id !== undefined && { id }), ...all[0]!, problems: all });
  }

  const firstWithId = new Map<string, number>();
  const valid: ValidRecord[] = [];
  normalized.forEach((record, index) => {
    if (refused.has(index) || !plain(record)) return;
    const id = String(record[info.idKey]);
    const earlier = firstWithId.get(id);
    if (earlier !== undefined) {
      const reason = `duplicate id: record #${earlier} has it too`;
      refused.set(index, { index, id, field: info.idKey, reason, problems: [{ field: info.idKey, reason }] });
      return;
    }
    firstWithId.set(id, index);
    valid.push({ index, id, data: record });
  });
  return { valid, refused };
}

/**
 * The currencies an org has enabled: Books, its base currency and those of its currency settings; the CRM,
 * its base currency while multi-currency is off (the store keeps no list of a multi-currency org's
 * currencies, so those are not checked: `why` says so). Undefined when the store does not have the org.
 */
async function orgCurrencies(
  stores: DataStores,
  system: DataSystem,
  org: string,
): Promise<{ enabled: string[] } | { enabled?: undefined; why: string } | undefined> {
  if (system === 'books') {
    const organization = await stores.books.getOrganization(org);
    if (!organization) return undefined;
    const codes = (await stores.books.listCurrencies(org)).map((c) => c.currency_code);
    return { enabled: [...new Set([organization.currency_code, ...codes])] };
  }
  const crmOrg = await stores.crm.getOrg(org);
  if (!crmOrg) return undefined;
  if (crmOrg.mc_status)
    return {
      why: `not checked: multi-currency is on in CRM org ${org} and the store keeps no list of its currencies`,
    };
  return { enabled: [crmOrg.iso_code] };
}

/** The records whose currency (CRM `Currency`, Books `currency_code`) the org has, and a failure for each other. */
function checkCurrencies(
  info: ModuleInfo,
  records: readonly ValidRecord[],
  enabled: readonly string[],
  org: string,
): { checked: ValidRecord[]; unknownCurrency: RecordFailure[] } {
  const field = info.system === 'crm' ? 'Currency' : 'currency_code';
  const checked: ValidRecord[] = [];
  const unknownCurrency: RecordFailure[] = [];
  for (const record of records) {
    const code = record.data[field];
    if (typeof code !== 'string' || code === '' || enabled.includes(code)) {
      checked.push(record);
      continue;
    }
    const reason =
      `currency ${code} is not enabled in ${info.system === 'crm' ? 'CRM' : 'Books'} org ${org} ` +
      `(enabled: ${[...enabled].sort().join(', ')})`;
    unknownCurrency.push({
      index: record.index,
      id: record.id,
      field,
      reason,
      problems: [{ field, reason }],
    });
  }
  return { checked, unknownCurrency };
}

/** An org for an import to go into: the lowest settings the integration accepts, in `currency`. */
async function createOrg(
  stores: DataStores,
  system: DataSystem,
  org: string,
  currency: string,
): Promise<void> {
  if (system === 'crm')
    await stores.crm.saveOrg({
      id: org,
      company_name: `Imported org ${org}`,
      edition: 'PROFESSIONAL',
      mc_status: false,
      iso_code: currency,
    });
  else
    await stores.books.saveOrganization({
      organization_id: org,
      name: `Imported org ${org}`,
      currency_code: currency,
    });
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

interface ImportFlags {
  org?: string;
  createOrg?: boolean;
  baseCurrency?: string;
  strict?: boolean;
  json?: boolean;
}

/** A usage error commander found (missing argument, unknown option): unusable input, exit status 2. */
function commanderExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? 0 : DATA_EXIT.unusable);
}

/** The import report as text: the counts, then each refused record with its problems and each warning. */
export function formatImportReport(report: ImportReport): string {
  const lines = [
    `${report.system} ${report.module} → org ${report.org}${report.orgCreated ? ' (created)' : ''}: ` +
      `${report.read} read (${report.format}), ${report.imported} imported (${report.inserted} new, ` +
      `${report.updated} updated, ${report.unchanged} unchanged), ${report.invalid.length} invalid, ` +
      `${report.warnings.length} warning(s)`,
    ...report.invalid.map((failure) => `  invalid ${describeFailure(failure)}`),
    ...report.warnings.map((warning) => `  warning ${describeFailure(warning)}`),
    ...(report.currencyCheck ? [`  currencies ${report.currencyCheck}`] : []),
  ];
  return `${lines.join('\n')}\n`;
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
    .exitOverride(commanderExit)
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
      "import a module's API response (list or single record), one record, a JSON array or NDJSON into an org",
    )
    .argument('<system>', 'crm or books')
    .argument(
      '<module>',
      `CRM: ${Object.keys(CRM_MODULES).join(', ')}; Books: ${BOOKS_RECORD_MODULES.join(', ')}`,
    )
    .argument('<file>', 'the file to import')
    .option('--org <id>', 'the org to import into (required; it must exist, unless --create-org)')
    .option('--create-org', 'create the org if the store does not have it')
    .option('--base-currency <code>', 'the base currency of an org created by --create-org (default USD)')
    .option('--strict', 'refuse records in a currency the org has not enabled (default: import them, warn)')
    .option('--json', 'print the report as one JSON object')
    .addHelpText(
      'after',
      '\nExit status: 0 all imported; 4 some records invalid (the valid ones imported); 2 unusable input ' +
        '(unknown module or org, unreadable or empty file, bad option), nothing written; 1 failure.',
    )
    .exitOverride(commanderExit)
    .action(async (system: string, module: string, file: string, flags: ImportFlags) => {
      let connection: Awaited<ReturnType<typeof connect>> | undefined;
      try {
        const report = await runImport({
          system,
          module,
          file,
          org: flags.org,
          strict: flags.strict === true,
          createOrg: flags.createOrg === true,
          ...(flags.baseCurrency !== undefined && { baseCurrency: flags.baseCurrency }),
          stores: async () => (connection = await connect()).stores,
        });
        if (flags.json) printJson(report);
        else if (report.error) progressLine(`import: ${report.error}`);
        else process.stdout.write(formatImportReport(report));
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
    .exitOverride(commanderExit)
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
