import { z } from 'zod';
import { safeKeys, STORED_KEY_RULES, unsafeKeyReason } from './safe-keys';
import { SKIP_REASONS, type SkipReason } from './sync/skips';
import { transactionSyncRefusal } from './sync/documents/enable';

/*
 * The stored shapes of the sync-state database (ARCHITECTURE §4): integrations, links (the identity map),
 * delta cursors, sync runs and their per-page counts, failures, the audit log and deal-trigger decisions.
 * Times are `Date` because these are MongoDB documents; what crosses Temporal uses ISO strings instead
 * (the delta cursor below is the one shape that does both).
 */

// ---------------------------------------------------------------------------------------------------------
// Keys that must never be stored

/**
 * Why a key may not appear in a stored document, or undefined when it may: the rules of domain/safe-keys.ts
 * for documents stored as they are (no `$`, `.`, NUL or `__proto__`).
 */
export function forbiddenKeyReason(key: string): string | undefined {
  return unsafeKeyReason(key, STORED_KEY_RULES);
}

/** Checks the RAW input for forbidden keys before `schema` parses it (see safeKeys). */
function withoutForbiddenKeys<T extends z.ZodType>(schema: T): z.ZodPipe<z.ZodUnknown, T> {
  return safeKeys(schema, STORED_KEY_RULES);
}

// ---------------------------------------------------------------------------------------------------------
// Field formats

const SAFE_PART = /^[A-Za-z0-9._:-]{1,128}$/;

/** One id part: an org id, a record id (Zoho's numeric strings), a booksId. Never an object, never `$…`. */
export const KeyPartSchema = z
  .string()
  .regex(SAFE_PART, 'must be 1-128 letters, digits, ".", "_", ":" or "-"');

/** A composite document id built from key parts (`a/b/c`, `a|b|c`, `run#page`). */
export const DocIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:/|#-]{1,600}$/, 'must be 1-600 letters, digits or ". _ : / | # -"');

/** A sync run id; usually its workflow id, `sync-run/{integration}/{n}`. No `|` or `#`: they separate keys. */
export const RunIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:/-]{1,300}$/, 'must be 1-300 letters, digits or ". _ : / -"');

/** A sync module or CRM/Books module name used as a key (`customers`, `accounts`, `salesorders`). */
export const ModuleNameSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'must be lower case letters, digits or "_", starting with a letter');

/** A CRM module's API name as Zoho spells it (`Accounts`, `Sales_Orders`). */
export const CrmModuleSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, 'must be a module API name (letters, digits, "_")');

/** A field's API name (`Account_Name`, `cf_region`). Used as a key, so no `$` and no `.`. */
export const FieldNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((key) => forbiddenKeyReason(key) === undefined, 'must not start with "$" or contain "." or NUL');

/** Free text shown to operators (reasons, stage names, details). */
const TextSchema = (max: number) => z.string().min(1).max(max);

const CountSchema = z.number().int().nonnegative();

/** A millisecond-precision UTC instant as `Date#toISOString()` writes it. */
export const IsoInstantSchema = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    'must be an ISO instant like 2024-01-31T12:00:00.000Z',
  )
  .refine((value) => {
    const time = new Date(value);
    return !Number.isNaN(time.getTime()) && time.toISOString() === value;
  }, 'is not a real instant');

/**
 * A position in a `(modifiedTime, _id)` ordered collection: everything strictly after it is unread. Plain
 * JSON, so it can travel through Temporal (heartbeats, continue-as-new) and be stored as is.
 */
export const DeltaCursorSchema = z.object({
  modifiedTime: IsoInstantSchema,
  id: z.string().min(1).max(600),
});
export type DeltaCursor = z.infer<typeof DeltaCursorSchema>;

/** A free-form record of field → JSON value (a record's fields as last synced, an offending payload). */
export const FreeFormRecordSchema = z.record(FieldNameSchema, z.json());
export type FreeFormRecord = z.infer<typeof FreeFormRecordSchema>;

// ---------------------------------------------------------------------------------------------------------
// Shared enums

export const EnvironmentSchema = z.enum(['production', 'sandbox']);
export type Environment = z.infer<typeof EnvironmentSchema>;

export const SyncDirectionSchema = z.enum(['crm_to_books', 'books_to_crm']);
export type SyncDirection = z.infer<typeof SyncDirectionSchema>;

export const LinkEntitySchema = z.enum([
  'customer',
  'contact_person',
  'vendor',
  'item',
  'estimate',
  'salesorder',
  'invoice',
  'purchaseorder',
  'payment',
]);
export type LinkEntity = z.infer<typeof LinkEntitySchema>;

/** Which side a record lives on. */
export const SideSchema = z.enum(['crm', 'books']);
export type Side = z.infer<typeof SideSchema>;

// ---------------------------------------------------------------------------------------------------------
// Document ids: deterministic, so a retried write lands on the same document

/** `{crmOrgId}/{booksOrgId}/{environment}`, the integration's id (and the suffix of its workflow id). */
export function integrationIdOf(crmOrgId: string, booksOrgId: string, environment: Environment): string {
  return `${KeyPartSchema.parse(crmOrgId)}/${KeyPartSchema.parse(booksOrgId)}/${EnvironmentSchema.parse(environment)}`;
}

/** `{integrationId}|{entity}|{crmId}`: one link per CRM record and entity. */
export function linkIdOf(integrationId: string, entity: LinkEntity, crmId: string): string {
  return `${DocIdSchema.parse(integrationId)}|${LinkEntitySchema.parse(entity)}|${KeyPartSchema.parse(crmId)}`;
}

/** `{integrationId}|{module}|{direction}`: one cursor per module and direction. */
export function cursorIdOf(integrationId: string, module: string, direction: SyncDirection): string {
  return `${DocIdSchema.parse(integrationId)}|${ModuleNameSchema.parse(module)}|${SyncDirectionSchema.parse(direction)}`;
}

/** `{integrationId}|{module}|{direction}|{recordId}`: a record failing again updates its failure. */
export function failureIdOf(
  integrationId: string,
  module: string,
  direction: SyncDirection,
  recordId: string,
): string {
  return `${cursorIdOf(integrationId, module, direction)}|${KeyPartSchema.parse(recordId)}`;
}

/** `{runId}#{pageKey}`: one counts document per page, so a retried page counts once. */
export function runCountsIdOf(runId: string, pageKey: string): string {
  return `${RunIdSchema.parse(runId)}#${DocIdSchema.parse(pageKey)}`;
}

// ---------------------------------------------------------------------------------------------------------
// Integrations

export const ExtentSchema = z.enum(['fetch_from_crm', 'both_ways']);
export const DuplicatePolicySchema = z.enum(['clone', 'overwrite', 'skip']);
export const CustomerModuleSchema = z.enum(['accounts', 'contacts', 'accounts_and_contacts']);
export const IntegrationDirectionSchema = z.enum(['two_way', 'one_way']);
export const IntegrationStatusSchema = z.enum(['active', 'paused', 'disabled']);

/**
 * A Books field path: a top-level field (`phone`), an address part (`billing_address.city`) or a custom field
 * by API name (`custom_fields.cf_region`). Validated segment by segment, so no `$` or empty part gets in.
 */
export const BooksFieldPathSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((path) => {
    const parts = path.split('.');
    return parts.length <= 2 && parts.every((p) => /^[A-Za-z][A-Za-z0-9_]*$/.test(p));
  }, 'must be a Books field, "address.part" or "custom_fields.api_name"');

/** One CRM field ↔ Books field pairing (S2.5) and who wins a two-way conflict on it (S9.5). */
export const FieldMapSchema = z.object({
  crmField: FieldNameSchema,
  booksField: BooksFieldPathSchema,
  /** `latest`: the side changed most recently since the last sync wins. */
  owner: z.enum(['crm', 'books', 'latest']).default('latest'),
  /** A mandatory Books field is the one pushed to the CRM when several map to the same CRM field. */
  mandatory: z.boolean().default(false),
});
export type FieldMap = z.infer<typeof FieldMapSchema>;

const ViewIdSchema = KeyPartSchema;

export const CustomersConfigSchema = z
  .object({
    module: CustomerModuleSchema,
    includeOrphanContacts: z.boolean().default(false),
    extent: ExtentSchema,
    duplicatePolicy: DuplicatePolicySchema,
    accountViewId: ViewIdSchema.optional(),
    contactViewId: ViewIdSchema.optional(),
    fieldMaps: z.array(FieldMapSchema).max(500).default([]),
  })
  .superRefine((c, ctx) => {
    if (c.module === 'contacts' && c.accountViewId !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['accountViewId'],
        message: 'needs an accounts module',
        input: c,
      });
    if (c.module === 'accounts' && c.contactViewId !== undefined)
      ctx.addIssue({ code: 'custom', path: ['contactViewId'], message: 'needs a contacts module', input: c });
    if (c.module !== 'accounts_and_contacts' && c.includeOrphanContacts)
      ctx.addIssue({
        code: 'custom',
        path: ['includeOrphanContacts'],
        message: 'applies only to "accounts_and_contacts"',
        input: c,
      });
  });

/** Vendors (S2.6) and items (S2.7) share this shape. */
export const ModuleConfigSchema = z.object({
  extent: ExtentSchema,
  duplicatePolicy: DuplicatePolicySchema,
  viewId: ViewIdSchema.optional(),
  fieldMaps: z.array(FieldMapSchema).max(500).default([]),
});

export const IntegrationConfigSchema = z.object({
  customers: CustomersConfigSchema,
  vendors: ModuleConfigSchema,
  items: ModuleConfigSchema,
  transactionSync: z.boolean().default(false),
  /**
   * The CRM user the integration runs as (its owner, who set it up): a "My …" view (S2.4) selects the records
   * this user owns. Required when a My view is chosen; checked against the CRM org's users.
   */
  ownerUserId: KeyPartSchema.optional(),
  /** S3.1: every 2 hours unless configured otherwise. */
  periodicSyncMinutes: z
    .number()
    .int()
    .min(5)
    .max(7 * 24 * 60)
    .default(120),
});
export type IntegrationConfig = z.infer<typeof IntegrationConfigSchema>;

/**
 * An integration configuration parsed, or every problem with it as `path: reason` lines (`(config)` for the
 * whole): the one check the workflow's validators, its activities and the CLI apply alike.
 */
export function checkIntegrationConfig(
  config: unknown,
): { ok: true; config: IntegrationConfig } | { ok: false; issues: string[] } {
  const parsed = IntegrationConfigSchema.safeParse(config);
  const refusal = parsed.success ? transactionSyncRefusal(parsed.data) : null;
  if (parsed.success)
    return refusal === null ? { ok: true, config: parsed.data } : { ok: false, issues: [refusal] };
  return {
    ok: false,
    issues: parsed.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`),
  };
}

const IntegrationFieldsSchema = z.object({
  crmOrgId: KeyPartSchema,
  booksOrgId: KeyPartSchema,
  environment: EnvironmentSchema,
  /** S1.1: a second Books org on the same CRM org is one-way (fetch from CRM) only. */
  direction: IntegrationDirectionSchema,
  status: IntegrationStatusSchema,
  config: IntegrationConfigSchema,
});

function refineOneWay(i: z.infer<typeof IntegrationFieldsSchema>, ctx: z.RefinementCtx): void {
  if (i.direction !== 'one_way') return;
  for (const module of ['customers', 'vendors', 'items'] as const) {
    if (i.config[module].extent !== 'fetch_from_crm')
      ctx.addIssue({
        code: 'custom',
        path: ['config', module, 'extent'],
        message: 'a one-way integration only fetches from the CRM',
        input: i.config[module].extent,
      });
  }
}

/** What a caller saves; `version` is the version it read (0 for a new integration). */
export const IntegrationInputSchema = withoutForbiddenKeys(
  IntegrationFieldsSchema.extend({ version: z.number().int().nonnegative() }).superRefine(refineOneWay),
);
export type IntegrationInput = z.input<typeof IntegrationFieldsSchema> & { version: number };

export const IntegrationDocSchema = withoutForbiddenKeys(
  IntegrationFieldsSchema.extend({
    _id: DocIdSchema,
    /**
     * Bumped by every save that changes the configuration (a status change keeps it); a save naming an older
     * version is refused (optimistic concurrency).
     */
    version: z.number().int().positive(),
    createdTime: z.date(),
    modifiedTime: z.date(),
  })
    .superRefine(refineOneWay)
    .refine((i) => i._id === integrationIdOf(i.crmOrgId, i.booksOrgId, i.environment), {
      message: 'must be {crmOrgId}/{booksOrgId}/{environment}',
      path: ['_id'],
    }),
);
export type IntegrationDoc = z.output<typeof IntegrationDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Links: the identity map

const LinkFieldsSchema = z.object({
  integrationId: DocIdSchema,
  entity: LinkEntitySchema,
  crmModule: CrmModuleSchema,
  crmId: KeyPartSchema,
  booksId: KeyPartSchema,
  /** The field values both sides had at the last sync: the base of three-way conflict decisions. */
  lastSynced: z.object({ crm: FreeFormRecordSchema, books: FreeFormRecordSchema }),
  /** Hashes of what we last wrote to each side, so our own writes are not mistaken for changes. */
  contentHash: z.object({
    crm: z.string().min(1).max(128).optional(),
    books: z.string().min(1).max(128).optional(),
  }),
  /** The Books record that holds this one: the customer of a contact person (so a move can take it out). */
  parentBooksId: KeyPartSchema.optional(),
});

/** One link as a caller gives it to `upsertLinks`. */
export const LinkInputSchema = withoutForbiddenKeys(LinkFieldsSchema);
export type LinkInput = z.input<typeof LinkFieldsSchema>;

/** What the store adds to a link's fields. */
const STORED_LINK_FIELDS = {
  _id: DocIdSchema,
  /** Deletes are not propagated (S3.8): the link is marked, never removed. */
  deletedIn: SideSchema.optional(),
  deletedTime: z.date().optional(),
  createdTime: z.date(),
  modifiedTime: z.date(),
};

/** A stored link's schema over `fields` (all of a link's, or its identity's). */
function storedLinkSchema<S extends z.ZodRawShape>(fields: z.ZodObject<S>) {
  return withoutForbiddenKeys(
    fields
      .extend(STORED_LINK_FIELDS)
      .refine(
        (l: { deletedIn?: unknown; deletedTime?: unknown }) =>
          (l.deletedIn === undefined) === (l.deletedTime === undefined),
        { message: 'deletedIn and deletedTime go together', path: ['deletedTime'] },
      )
      .refine(
        (link) => {
          // Both field sets hold the link's key (LinkFieldsSchema's first fields).
          const l = link as unknown as {
            _id: string;
            integrationId: string;
            entity: LinkEntity;
            crmId: string;
          };
          return l._id === linkIdOf(l.integrationId, l.entity, l.crmId);
        },
        { message: 'must be {integrationId}|{entity}|{crmId}', path: ['_id'] },
      ),
  );
}

export const LinkDocSchema = storedLinkSchema(LinkFieldsSchema);
export type LinkDoc = z.output<typeof LinkDocSchema>;

/**
 * A stored link without the values of the last sync and the content hashes: which CRM record is which Books
 * record. What a reader that only maps ids takes (LINK_IDENTITY_PROJECTION leaves the rest on the server).
 */
export const LinkIdentitySchema = storedLinkSchema(
  LinkFieldsSchema.omit({ lastSynced: true, contentHash: true }),
);
export type LinkIdentity = z.output<typeof LinkIdentitySchema>;

/** The projection that reads a link's identity only. */
export const LINK_IDENTITY_PROJECTION = { lastSynced: 0, contentHash: 0 } as const;

/**
 * Whether a link still names a live Books record: not marked deleted in Books (S3.8 marks, never removes).
 * What "the Books customer of a CRM account" means wherever a deal or a document looks one up.
 */
export function livesInBooks(link: Pick<LinkDoc, 'deletedIn'>): boolean {
  return link.deletedIn !== 'books';
}

// ---------------------------------------------------------------------------------------------------------
// Delta cursors

/** A change-marker token (stores/change-markers.ts): a random UUID. */
export const QuietTokenSchema = z.string().min(1).max(100);

export const CursorDocSchema = withoutForbiddenKeys(
  z
    .object({
      _id: DocIdSchema,
      integrationId: DocIdSchema,
      module: ModuleNameSchema,
      direction: SyncDirectionSchema,
      cursor: DeltaCursorSchema,
      /** How far the last read got; past `cursor` when it read changes too recent to be settled. */
      seenThrough: DeltaCursorSchema.optional(),
      /** The source's change-marker token the last read to the end vouches for (stores/change-markers.ts). */
      quietToken: QuietTokenSchema.optional(),
      modifiedTime: z.date(),
    })
    .refine((c) => c._id === cursorIdOf(c.integrationId, c.module, c.direction), {
      message: 'must be {integrationId}|{module}|{direction}',
      path: ['_id'],
    }),
);
export type CursorDoc = z.output<typeof CursorDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Sync runs (S3.5)

/** What started a run: the first sync, the timer, an operator or a CRM change, or a targeted request. */
export const RunTriggerSchema = z.enum([
  'initial',
  'periodic',
  'instant',
  'reprocess',
  'fetch',
  'import',
  'dependency',
]);
export type RunTrigger = z.infer<typeof RunTriggerSchema>;
export const RunStatusSchema = z.enum(['running', 'completed', 'completed_with_failures', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** What one page (or a whole run) did to one module in one direction. */
export const RunCountsSchema = z.object({
  added: CountSchema.default(0),
  /** Linked to an existing record of the same name on first meeting (overwrite policy, S2.3). */
  matched: CountSchema.default(0),
  updated: CountSchema.default(0),
  unchanged: CountSchema.default(0),
  skipped: CountSchema.default(0),
  failed: CountSchema.default(0),
  /** S3.5 lists deletions; deletes are not propagated (S3.8), so this counts links marked deleted. */
  deleted: CountSchema.default(0),
});
export type RunCounts = z.infer<typeof RunCountsSchema>;

/** counts[module][direction]. */
export const RunCountsByModuleSchema = z.record(
  ModuleNameSchema,
  z.partialRecord(SyncDirectionSchema, RunCountsSchema),
);
export type RunCountsByModule = z.infer<typeof RunCountsByModuleSchema>;

export const RunDocSchema = withoutForbiddenKeys(
  z
    .object({
      _id: RunIdSchema,
      integrationId: DocIdSchema,
      runNumber: z.number().int().positive(),
      trigger: RunTriggerSchema,
      status: RunStatusSchema,
      startedTime: z.date(),
      endedTime: z.date().optional(),
      /** Why a run failed or was refused. */
      reason: TextSchema(2000).optional(),
      counts: RunCountsByModuleSchema.default({}),
      failureCount: CountSchema.default(0),
      /** The configuration the run uses, snapshotted at its start. */
      config: IntegrationConfigSchema.optional(),
      configVersion: z.number().int().min(0).optional(),
    })
    .refine((r) => (r.status === 'running') === (r.endedTime === undefined), {
      message: 'a running run has no end time, a finished one has',
      path: ['endedTime'],
    }),
);
export type RunDoc = z.output<typeof RunDocSchema>;

/**
 * The counts one page added to a run. Stored as its own document (insert-only, keyed by page) rather than
 * `$inc`-ed into the run: FerretDB v1 applies concurrent updates of one document read-modify-write and loses
 * increments, and a retried page must not count twice.
 */
/** A record a run skipped, why (domain/sync/skips.ts) and the record's particulars. */
export const RunSkipSchema = z.object({
  recordId: z.string().min(1).max(200),
  reason: z.enum(Object.keys(SKIP_REASONS) as [SkipReason, ...SkipReason[]]),
  detail: z.string().max(2000).optional(),
});
export type RunSkip = z.infer<typeof RunSkipSchema>;

export const RunPageCountsDocSchema = withoutForbiddenKeys(
  z
    .object({
      _id: DocIdSchema,
      runId: RunIdSchema,
      pageKey: DocIdSchema,
      module: ModuleNameSchema,
      direction: SyncDirectionSchema,
      counts: RunCountsSchema,
      /** The page's counted skips, each with its reason (listed by `integrations run <n> --skipped`). */
      skips: z.array(RunSkipSchema).default([]),
      createdTime: z.date(),
    })
    .refine((p) => p._id === runCountsIdOf(p.runId, p.pageKey), {
      message: 'must be {runId}#{pageKey}',
      path: ['_id'],
    }),
);
export type RunPageCountsDoc = z.output<typeof RunPageCountsDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Failures (S3.5, S9.6)

export const FailureStatusSchema = z.enum(['open', 'reprocessed', 'resolved']);
export type FailureStatus = z.infer<typeof FailureStatusSchema>;

const FailureFieldsSchema = z.object({
  integrationId: DocIdSchema,
  runId: RunIdSchema,
  module: ModuleNameSchema,
  /** The kind of record within the module (an account or a contact under customers): what reprocessing reads. */
  kind: z.enum(['account', 'contact', 'contact_person', 'vendor', 'item']).optional(),
  direction: SyncDirectionSchema,
  recordId: KeyPartSchema,
  payloadId: z.string().min(1).max(200).optional(),
  /** The first failing field, dotted (`line_items.0.quantity`), or `(record)`. */
  field: TextSchema(300),
  reason: TextSchema(2000),
  /** The offending record as read, so it can be reprocessed once fixed. */
  payload: FreeFormRecordSchema,
});

/** One failure as a caller reports it. */
export const FailureInputSchema = withoutForbiddenKeys(FailureFieldsSchema);
export type FailureInput = z.input<typeof FailureFieldsSchema>;

export const FailureDocSchema = withoutForbiddenKeys(
  FailureFieldsSchema.extend({
    _id: DocIdSchema,
    status: FailureStatusSchema,
    /** How many times this record has been reported failing. */
    attempts: z.number().int().positive(),
    createdTime: z.date(),
    modifiedTime: z.date(),
  }).refine((f) => f._id === failureIdOf(f.integrationId, f.module, f.direction, f.recordId), {
    message: 'must be {integrationId}|{module}|{direction}|{recordId}',
    path: ['_id'],
  }),
);
export type FailureDoc = z.output<typeof FailureDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Audit log (S9.8, S9.10): append-only

export const AuditActorSchema = z.object({
  type: z.enum(['user', 'system', 'workflow']),
  id: z.string().min(1).max(300),
  name: z.string().min(1).max(200).optional(),
});

export const AuditActionSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/,
    'must be dotted lower-case words, e.g. "sync_run.completed"',
  )
  .max(100);

const AuditFieldsSchema = z.object({
  at: z.date(),
  actor: AuditActorSchema,
  integrationId: DocIdSchema.optional(),
  action: AuditActionSchema,
  /** What the entry is about, e.g. `customer` or `link`. */
  entity: z.string().min(1).max(100).optional(),
  payloadIds: z.array(z.string().min(1).max(300)).max(1000).default([]),
  outcome: z.enum(['success', 'failure', 'skipped']),
  detail: TextSchema(4000).optional(),
});

/** An entry as appended; give a deterministic `_id` to make the append idempotent. */
export const AuditInputSchema = withoutForbiddenKeys(
  AuditFieldsSchema.extend({ _id: DocIdSchema.optional() }),
);
export type AuditInput = z.input<typeof AuditFieldsSchema> & { _id?: string };

export const AuditDocSchema = withoutForbiddenKeys(AuditFieldsSchema.extend({ _id: DocIdSchema }));
export type AuditDoc = z.output<typeof AuditDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Deal-trigger actions (S5): what a deal rule does in Books (domain/deals/rules.ts, records.ts)

export const TriggerActionSchema = z.enum([
  'create_quote',
  'approve_quote',
  'decline_quote',
  'create_invoice',
  'void_invoice',
  'none',
]);
