import { z } from 'zod';
import { ZohoProductSchema } from '../domain/sandbox';
import {
  EnvironmentSchema,
  FailureStatusSchema,
  IntegrationConfigSchema,
  KeyPartSchema,
} from '../domain/sync-state-schemas';
import type {
  EnableResult,
  InstantSyncResult,
  IntegrationStatus,
  TargetedRunResult,
} from '../workflows/messages';
import type { VerifyReport } from '../domain/verify';
import type { DealOperations } from './deals';
import type { DocumentOperations } from './documents';
import type { SubscriptionOperations } from './subscriptions';
import type { SandboxOperations } from './sandbox';
export type { CreateSandboxInput, CreateSandboxResult, SandboxOperations } from './sandbox';
import type { UserOperations } from './users';

export type { UserOperations } from './users';
export type { DealOperations, DealView, DealWriteResult, EditDealInput, WriteDealInput } from './deals';
export type {
  AssociateInput,
  AssociateResult,
  DealAssociationView,
  DealSearchQuery,
  OfferedDealsView,
} from './deal-associations';
export type { DocumentOperations, DocumentView, WriteDocumentInput, WriteDocumentResult } from './documents';
export type { SubscriptionOperations } from './subscriptions';
import { describeUnknownKey, findUnknownKeys } from '../domain/unknown-keys';
import { integrationIdOf, type IntegrationDoc } from '../domain/sync-state-schemas';

/**
 * The operations of the service (ISSUE 5 §2) as one typed interface: implemented in-process over Temporal and
 * MongoDB (api/operations.ts, used by the CLI and the HTTP API) and over HTTP (client/sync-client.ts, for
 * other services). Every request is validated with the schemas below before anything is read or written.
 */

// ---------------------------------------------------------------------------------------------------------
// Requests

/** An id part: letters, digits, '.', '_', ':' or '-' — never an object such as {"$ne": null}. */
const Id = KeyPartSchema;
const Limit = z.coerce.number().int().positive().max(1000);

/** A record, batch or document id in a request path or body: what the stores accept as an id. */
export const IdSchema = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, "letters, digits, '.', '_', ':' or '-'");

export const IntegrationRefSchema = z.strictObject({
  crmOrgId: Id,
  booksOrgId: Id,
  environment: EnvironmentSchema.default('production'),
});
export type IntegrationRef = z.input<typeof IntegrationRefSchema>;

const ActorSchema = z.strictObject({
  id: z.string().min(1).max(300),
  name: z.string().min(1).max(200).optional(),
});

export const EnableInputSchema = z.strictObject({
  crmOrgId: Id,
  booksOrgId: Id,
  environment: EnvironmentSchema.default('production'),
  config: IntegrationConfigSchema,
  /** The Zoho finance products to integrate; only Books in a sandbox (S8.6, checked by the enable). */
  products: z.array(ZohoProductSchema).min(1).max(5).default(['books']),
  /** S2.8: save and sync now (default), or save and sync at the next periodic time. */
  syncNow: z.boolean().default(true),
  actor: ActorSchema.optional(),
});
export type EnableInput = z.input<typeof EnableInputSchema>;

export const ConfigureInputSchema = z.strictObject({
  config: IntegrationConfigSchema,
  syncNow: z.boolean().default(false),
  actor: ActorSchema.optional(),
});
export type ConfigureInput = z.input<typeof ConfigureInputSchema>;

export const ActorInputSchema = z.strictObject({ actor: ActorSchema.optional() });
export type ActorInput = z.input<typeof ActorInputSchema>;

export const HistoryQuerySchema = z.strictObject({
  limit: Limit.default(20),
  /** Runs numbered below this one (paging back). */
  before: z.coerce.number().int().positive().optional(),
});
export type HistoryQuery = z.input<typeof HistoryQuerySchema>;

export const FailuresQuerySchema = z.strictObject({
  status: FailureStatusSchema.optional(),
  module: z.enum(['customers', 'vendors', 'items']).optional(),
  runId: z.string().min(1).max(400).optional(),
  limit: Limit.default(50),
});
export type FailuresQuery = z.input<typeof FailuresQuerySchema>;

/** Reprocess one or more failures by id, every open failure of a module, or every open failure. */
export const ReprocessInputSchema = z
  .strictObject({
    failureIds: z.array(z.string().min(1).max(800)).min(1).max(1000).optional(),
    module: z.enum(['customers', 'vendors', 'items']).optional(),
    all: z.literal(true).optional(),
    actor: ActorSchema.optional(),
  })
  .refine((r) => [r.failureIds, r.module, r.all].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of failureIds, module or all',
  });
export type ReprocessInput = z.input<typeof ReprocessInputSchema>;

/** S3.3: update a single Books customer or vendor from its CRM record now. */
export const FetchInputSchema = z.strictObject({
  module: z.enum(['customers', 'vendors']),
  crmId: Id,
  actor: ActorSchema.optional(),
});
export type FetchInput = z.input<typeof FetchInputSchema>;

/** S3.4: search the CRM for a customer or vendor not yet imported. */
export const CrmSearchQuerySchema = z.strictObject({
  q: z.string().trim().min(1).max(200),
  module: z.enum(['customers', 'vendors']).default('customers'),
  limit: Limit.default(20),
});
export type CrmSearchQuery = z.input<typeof CrmSearchQuerySchema>;

export const ImportInputSchema = z.strictObject({
  crmModule: z.enum(['Accounts', 'Contacts', 'Vendors']),
  crmId: Id,
  actor: ActorSchema.optional(),
});
export type ImportInput = z.input<typeof ImportInputSchema>;

export const BooksFromCrmQuerySchema = z.strictObject({
  module: z.enum(['customers', 'vendors']).optional(),
  limit: Limit.default(100),
});
export type BooksFromCrmQuery = z.input<typeof BooksFromCrmQuerySchema>;

const IsoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
export const AuditQuerySchema = z.strictObject({
  action: z.string().min(1).max(100).optional(),
  from: IsoDate.optional(),
  to: IsoDate.optional(),
  limit: Limit.default(100),
});
export type AuditQueryInput = z.input<typeof AuditQuerySchema>;

/**
 * A Zoho CRM notification (the shape Zoho's Notification API posts): which module changed, the record ids,
 * the operation, the channel it was subscribed on and the verification token given at subscription.
 */
export const CrmNotificationSchema = z.looseObject({
  module: z.string().min(1).max(100),
  ids: z.array(Id).min(1).max(1000),
  operation: z.enum(['insert', 'update', 'delete', 'all']),
  channel_id: z.union([z.string().min(1).max(100), z.number().int()]).transform(String),
  token: z.string().min(1).max(200),
  server_time: z.number().optional(),
  resource_uri: z.string().max(2000).optional(),
  affected_fields: z.array(z.unknown()).optional(),
});
export type CrmNotification = z.input<typeof CrmNotificationSchema>;

// ---------------------------------------------------------------------------------------------------------
// Results (plain JSON: dates as ISO strings)

export interface IntegrationSummary {
  integrationId: string;
  crmOrgId: string;
  booksOrgId: string;
  environment: string;
  direction: string;
  status: string;
  configVersion: number;
  modifiedTime: string;
}

export interface IntegrationView {
  integration: IntegrationSummary & { config: z.output<typeof IntegrationConfigSchema> };
  /** The live state of the integration's workflow; null when it is not running. */
  workflow: IntegrationStatus | null;
}

export interface RunCountsView {
  added: number;
  /** Linked to an existing record of the same name on first meeting (overwrite policy). */
  matched: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
  deleted: number;
}

export interface RunView {
  runId: string;
  runNumber: number;
  trigger: string;
  status: string;
  reason?: string;
  startedTime: string;
  endedTime: string | null;
  configVersion?: number;
  failureCount: number;
  /** By module, then direction. */
  counts: Record<string, Record<string, RunCountsView>>;
}

/** Why a run skipped what it skipped: counts by reason (named in `reasons`), then the records. */
export interface RunSkipsView {
  total: number;
  byReason: Record<string, number>;
  /** The words of each reason met. */
  reasons: Record<string, string>;
  records: { module: string; direction: string; recordId: string; reason: string; detail?: string }[];
}

export interface FailureView {
  failureId: string;
  runId: string;
  module: string;
  kind?: string;
  direction: string;
  recordId: string;
  payloadId?: string;
  field: string;
  reason: string;
  status: string;
  attempts: number;
  createdTime: string;
  modifiedTime: string;
  payload: Record<string, unknown>;
}

export interface ReprocessResult {
  reprocessed: number;
  run: TargetedRunResult | null;
  /** Failures that did not fail again: marked resolved. */
  resolved: number;
  /** Failures that failed again (their entries are open with the new reason). */
  stillFailing: FailureView[];
  /** Failures that could not be retried (kind unknown, or not open). */
  notRetried: { failureId: string; reason: string }[];
}

export interface FetchResult {
  run: TargetedRunResult;
  crmModule: string;
  crmId: string;
  /** The Books record linked to it after the run; null if it was skipped or failed. */
  booksId: string | null;
}

export interface CrmSearchHit {
  crmModule: 'Accounts' | 'Contacts' | 'Vendors';
  crmId: string;
  name: string;
  email: string | null;
  /** The Books record it is already linked to, if any. */
  booksId: string | null;
  /** An account's contacts (S3.4: an account search lists them). */
  contacts?: { crmId: string; name: string; email: string | null }[];
}

export interface BooksFromCrmEntry {
  booksId: string;
  displayName: string;
  contactType: string;
  crmModule: string;
  crmId: string;
  linkedTime: string;
  deletedIn?: string;
}

export interface AuditEntryView {
  id: string;
  at: string;
  actor: { type: string; id: string; name?: string };
  integrationId?: string;
  action: string;
  entity?: string;
  payloadIds: string[];
  outcome: string;
  detail?: string;
}

export interface WebhookResult {
  /** Integrations of the CRM org that were told about the change. */
  signalled: string[];
  /** Integrations that were not (not running, or not active). */
  ignored: { integrationId: string; reason: string }[];
  /** CRM finance documents whose workflow was signalled (transaction sync, api/documents.ts). */
  documents?: number;
  /** CRM deals whose automation workflow was signalled (api/deals.ts). */
  deals?: number;
}

export interface SyncOperations {
  /** Integration users and their migration (api/users.ts), where the composition root provides them. */
  users?: UserOperations;
  /** CRM finance documents (api/documents.ts), where the composition root provides them. */
  documents?: DocumentOperations;
  /** Subscriptions in the CRM and their reports (api/subscriptions.ts), where the composition root provides them. */
  subscriptions?: SubscriptionOperations;
  /** Sandboxes and the refused deployment (api/sandbox.ts), where the composition root provides them. */
  sandbox?: SandboxOperations;
  /** A sandbox enable also answers with the scheduled job it started (S8.3). */
  enable(
    input: EnableInput,
  ): Promise<
    EnableResult & { integrationId: string; sandboxModules?: { workflowId: string; started: boolean } }
  >;
  /** Deal automation (api/deals.ts), where the composition root provides it. */
  deals?: DealOperations;
  configure(
    ref: IntegrationRef,
    input: ConfigureInput,
  ): Promise<{ configVersion: number; syncQueued: boolean }>;
  get(ref: IntegrationRef): Promise<IntegrationView>;
  list(crmOrgId: string): Promise<IntegrationSummary[]>;
  pause(ref: IntegrationRef, input?: ActorInput): Promise<IntegrationStatus>;
  resume(ref: IntegrationRef, input?: ActorInput): Promise<IntegrationStatus>;
  disable(ref: IntegrationRef, input?: ActorInput): Promise<IntegrationStatus>;
  syncNow(ref: IntegrationRef, input?: ActorInput): Promise<InstantSyncResult>;
  history(ref: IntegrationRef, query?: HistoryQuery): Promise<RunView[]>;
  /** A run with its failures and its skips (counted by reason, the first 1,000 records listed). */
  run(
    ref: IntegrationRef,
    runNumber: number,
  ): Promise<RunView & { failures: FailureView[]; skipped: RunSkipsView }>;
  failures(ref: IntegrationRef, query?: FailuresQuery): Promise<FailureView[]>;
  reprocess(ref: IntegrationRef, input: ReprocessInput): Promise<ReprocessResult>;
  fetchRecord(ref: IntegrationRef, input: FetchInput): Promise<FetchResult>;
  searchCrm(ref: IntegrationRef, query: CrmSearchQuery): Promise<CrmSearchHit[]>;
  importRecord(ref: IntegrationRef, input: ImportInput): Promise<FetchResult>;
  booksFromCrm(ref: IntegrationRef, query?: BooksFromCrmQuery): Promise<BooksFromCrmEntry[]>;
  audit(ref: IntegrationRef | null, query?: AuditQueryInput): Promise<AuditEntryView[]>;
  webhook(crmOrgId: string, notification: unknown): Promise<WebhookResult>;
  /** Issue 20 §6: the two stores compared under the integration's mapping (domain/verify.ts). Read-only. */
  verify(ref: IntegrationRef): Promise<VerifyReport>;
}

// ---------------------------------------------------------------------------------------------------------
// Errors

/**
 * What went wrong, as the HTTP API maps it: invalid → 400, unauthorized → 401 (the caller's credential, e.g. a
 * webhook token, is missing or wrong), forbidden → 403 (a known user without the permission, ErrorType.Forbidden),
 * not_found → 404, conflict → 409 (refused in the integration's current state), no_worker → 503 (no worker polls
 * the task queue: start it), unavailable → 503 (try again), internal → 500.
 */
export type OperationErrorKind =
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'no_worker'
  | 'unavailable'
  | 'internal';

export class OperationError extends Error {
  override readonly name = 'OperationError';
  constructor(
    readonly kind: OperationErrorKind,
    message: string,
    /** The offending fields, `path: reason`, for invalid input. */
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}

/** The groups of operations a composition root may leave out (the CLI and the API server provide them all). */
type OptionalGroup = 'users' | 'documents' | 'subscriptions' | 'sandbox' | 'deals';

/** `ops[group]`, refused as unavailable where the composition root did not provide it. */
export function operationGroup<K extends OptionalGroup>(
  ops: { [G in K]?: SyncOperations[G] | undefined },
  group: K,
  noun: string,
): NonNullable<SyncOperations[K]> {
  const found = ops[group];
  if (!found) throw new OperationError('unavailable', `the ${noun} operations are not configured here`);
  return found as NonNullable<SyncOperations[K]>;
}

export const HTTP_STATUS: Record<OperationErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  no_worker: 503,
  unavailable: 503,
  internal: 500,
};

/**
 * Parses a request with its schema, or throws an `invalid` OperationError naming every bad field. A key the
 * schema does not know is refused at any depth (the configuration's objects strip them otherwise), with the
 * key probably meant: "config.periodicSyncMinute: unknown key; did you mean periodicSyncMinutes?".
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const unknown = findUnknownKeys(schema, value);
  const parsed = schema.safeParse(value);
  if (parsed.success && unknown.length === 0) return parsed.data;
  const saidAt = new Set(unknown.map((u) => u.path.join('.')));
  const issues = [
    ...unknown.map(describeUnknownKey),
    // A strict object's own "Unrecognized key" where the keys were named above, with a suggestion.
    ...(parsed.error?.issues ?? [])
      .filter((i) => !(i.code === 'unrecognized_keys' && saidAt.has(i.path.join('.'))))
      .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)),
  ];
  throw new OperationError('invalid', `invalid ${what}: ${issues.join('; ')}`, issues);
}

/** The integration a request names, parsed and read; `not_found` when it was never enabled. */
export async function requestedIntegration(
  syncState: { getIntegration(id: string): Promise<IntegrationDoc | undefined> },
  raw: IntegrationRef,
): Promise<IntegrationDoc> {
  const ref = parseRequest(IntegrationRefSchema, raw, 'integration');
  const id = integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment);
  const doc = await syncState.getIntegration(id);
  if (!doc) throw new OperationError('not_found', `no integration ${id}`);
  return doc;
}
