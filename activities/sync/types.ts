import type { RunFailureLine } from '../../domain/sync/labels';
import type { ResolvedFieldMap } from '../../domain/sync/field-maps';
import type { BooksContext, KindSpec } from '../../domain/sync/kinds';
import type { StepTarget, SyncStep } from '../../domain/sync/plan';
import type {
  DeltaCursor,
  IntegrationConfig,
  IntegrationDoc,
  RunCounts,
  RunCountsByModule,
  RunTrigger,
} from '../../domain/sync-state-schemas';
import type { ViewFilter } from '../../domain/views';
import type { RecordCollection, StoredRecord } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';

/*
 * The sync activities' inputs, results and dependencies. Workflows import these types (workflows/sync-run.ts),
 * and the committed replay histories hold values of their shapes: a field may be added, never renamed.
 */

export type Data = Record<string, unknown>;

/** The CRM's finance modules (S4.1): copies of Books documents, deleted when the integration is disabled. */
export const CRM_FINANCE_MODULES = ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'] as const;
export type CrmFinanceModule = (typeof CRM_FINANCE_MODULES)[number];

/** What the sync activities need from the stores; built in workers/deps.ts. */
export interface SyncDeps {
  syncState: SyncStateStore;
  crm: {
    records(
      module: 'Accounts' | 'Contacts' | 'Vendors' | 'Products' | CrmFinanceModule,
    ): RecordCollection<Data>;
    getOrg(orgId: string): Promise<Data | undefined>;
    /** Saves the org document (S1.3 shows the connected Books orgs on it). */
    saveOrg(doc: Data): Promise<unknown>;
    getView(orgId: string, viewId: string): Promise<Data | undefined>;
    getUser(orgId: string, userId: string): Promise<Data | undefined>;
    findContactsByAccountIds(orgId: string, accountIds: readonly string[]): Promise<StoredRecord<Data>[]>;
  };
  books: {
    records(module: 'contacts' | 'items'): RecordCollection<Data>;
    getOrganization(orgId: string): Promise<Data | undefined>;
    listCurrencyCodes(orgId: string): Promise<string[]>;
    listCustomFields(orgId: string, module: 'contacts' | 'items'): Promise<{ api_name: string }[]>;
  };
  /** A step's default sizes on this server (STEP_SIZE unless the server wants others: FERRETDB_STEP_SIZE). */
  stepSize?: StepSize;
  /**
   * How long a source's change marker must have been quiet before a step's read may vouch for it
   * (stores/change-markers.ts MARKER_QUIET_MS unless a test shortens it).
   */
  quietMs?: number;
}

export interface PrepareSyncRunInput {
  integrationId: string;
  runId: string;
  runNumber: number;
  trigger: RunTrigger;
  /** A targeted run: only these records (fetch one record S3.3, import S3.4, reprocess S9.6). */
  targets?: StepTarget[];
}

export type PrepareSyncRunResult =
  { ok: true; steps: SyncStep[] } | { ok: false; reason: string; errorType: string };

/**
 * What a step carries from its first activity to its last, retries included (see stores/delta.ts): the
 * settled boundary its saved cursor never passes, where its reading began, and how far the previous run had
 * read (records met again up to there were counted by that run).
 */
export interface StepWindow {
  /** ISO. */
  settledBefore: string;
  from: DeltaCursor | null;
  seenThrough: DeltaCursor | null;
  /**
   * The source's change-marker token read before the step's first page, when it had been quiet long enough
   * for a read to the end to vouch for it: saved with the step's final cursor (absent from older windows).
   */
  quietToken?: string;
}

export interface SyncStepInput {
  integrationId: string;
  runId: string;
  step: SyncStep;
  /** Where this activity starts; undefined at the start of a step (then the saved cursor is used). */
  cursor?: DeltaCursor | null;
  /** The step's window, from the previous activity's result; undefined at the start of a step. */
  window?: StepWindow;
  /** Records to handle before returning; the workflow calls again with `next`. */
  maxRecords?: number;
  /** Records per read/decide/write round inside the activity; the heartbeat carries the cursor between. */
  chunkSize?: number;
}

export interface SyncStepResult {
  /** Null when the step has read everything changed. */
  next: DeltaCursor | null;
  counts: RunCounts;
  records: number;
  /** Handed to the step's next activity with `next` (absent from results of workers before it existed). */
  window?: StepWindow;
}

export interface FinishSyncRunInput {
  runId: string;
  status: 'completed' | 'failed';
  reason?: string;
}

export interface FinishSyncRunResult {
  status: string;
  /** By module, then direction. */
  counts: RunCountsByModule;
  failureCount: number;
  /** The run's first failures (at most RESULT_FAILURES), for the result and details the Temporal UI shows. */
  failures?: RunFailureLine[];
}

/** How many of a run's failures its result names. */
export const RESULT_FAILURES = 20;

export interface StepSize {
  /** Records one syncStep activity handles before it returns and the workflow calls the next. */
  maxRecords: number;
  /** Records per read/decide/write round inside the activity (its reads are one query each). */
  chunkSize: number;
  /** The most records, links or failures one store write takes: a chunk writes in slices of this size. */
  writeSlice: number;
}

/** On a server with the declared indexes every read of a chunk costs in proportion to the chunk. */
export const STEP_SIZE: StepSize = { maxRecords: 5000, chunkSize: 5000, writeSlice: 5000 };

/**
 * On FerretDB v1 every read but one by `_id` scans its collection, so a chunk costs in proportion to the
 * collections it reads, not to itself, and a step costs (its records / chunk size) × (collection sizes): a step
 * is read in as few chunks as memory allows. Bench, N=100,000: see the README's Benchmarks section.
 */
export const FERRETDB_STEP_SIZE: StepSize = { maxRecords: 50_000, chunkSize: 50_000, writeSlice: 5000 };

/** The collection a step reads and the org it reads there. */
export interface StepSource {
  records: RecordCollection<Data>;
  org: string;
}

/** What every chunk of a step shares. */
export interface ChunkContext {
  spec: KindSpec;
  step: SyncStep;
  integration: IntegrationDoc;
  integrationId: string;
  runId: string;
  /** ISO start of the run. */
  runStartedAt: string;
  maps: ResolvedFieldMap[];
  config: IntegrationConfig;
  books: BooksContext;
  view: ViewFilter | undefined;
  target: RecordCollection<Data>;
  targetOrg: string;
  writeSlice: number;
}

/** A record that cannot be synced at all, and why: a failure of that record, never of the run. */
export interface PoisonedRecord {
  record: { id: string; data: Data };
  field: string;
  reason: string;
}
