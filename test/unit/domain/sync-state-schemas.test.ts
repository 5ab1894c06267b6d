import type { z } from 'zod';
import {
  AuditDocSchema,
  CursorDocSchema,
  DeltaCursorSchema,
  FailureDocSchema,
  IntegrationDocSchema,
  IntegrationInputSchema,
  LinkDocSchema,
  LinkInputSchema,
  RunDocSchema,
  RunPageCountsDocSchema,
  cursorIdOf,
  failureIdOf,
  forbiddenKeyReason,
  integrationIdOf,
  linkIdOf,
  runCountsIdOf,
} from '../../../domain/sync-state-schemas';

const t = new Date('2024-05-01T10:00:00.000Z');
const integrationId = 'crm1/books1/production';

const config = {
  customers: { module: 'accounts', extent: 'both_ways', duplicatePolicy: 'skip' },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone' },
  items: {
    extent: 'both_ways',
    duplicatePolicy: 'overwrite',
    fieldMaps: [{ crmField: 'Unit_Price', booksField: 'rate' }],
  },
};

const integration = {
  _id: integrationId,
  crmOrgId: 'crm1',
  booksOrgId: 'books1',
  environment: 'production',
  direction: 'two_way',
  status: 'active',
  config,
  version: 1,
  createdTime: t,
  modifiedTime: t,
};

const link = {
  _id: `${integrationId}|customer|100`,
  integrationId,
  entity: 'customer',
  crmModule: 'Accounts',
  crmId: '100',
  booksId: '9000',
  lastSynced: { crm: { Account_Name: 'Acme', Tags: ['a', { nested: 1 }] }, books: { contact_name: 'Acme' } },
  contentHash: { crm: 'abc' },
  createdTime: t,
  modifiedTime: t,
};

const run = {
  _id: `sync-run/${integrationId}/1`,
  integrationId,
  runNumber: 1,
  trigger: 'initial',
  status: 'running',
  startedTime: t,
};

const failure = {
  _id: `${integrationId}|accounts|crm_to_books|100`,
  integrationId,
  runId: run._id,
  module: 'accounts',
  direction: 'crm_to_books',
  recordId: '100',
  field: 'Account_Name',
  reason: 'is required',
  payload: { id: '100', Account_Name: null },
  status: 'open',
  attempts: 1,
  createdTime: t,
  modifiedTime: t,
};

const auditEntry = {
  _id: 'a1',
  at: t,
  actor: { type: 'workflow', id: 'sync-run/x/1' },
  action: 'sync_run.completed',
  payloadIds: ['100'],
  outcome: 'success',
};

type Case = [name: string, schema: z.ZodType, doc: unknown, issuePath?: string];

const valid: Case[] = [
  ['integration', IntegrationDocSchema, integration],
  [
    'integration in sandbox, one way',
    IntegrationDocSchema,
    {
      ...integration,
      _id: 'crm1/books2/sandbox',
      booksOrgId: 'books2',
      environment: 'sandbox',
      direction: 'one_way',
      config: {
        ...config,
        customers: { ...config.customers, extent: 'fetch_from_crm' },
        items: { ...config.items, extent: 'fetch_from_crm' },
      },
    },
  ],
  ['integration input (version 0)', IntegrationInputSchema, { ...integration, _id: undefined, version: 0 }],
  ['link', LinkDocSchema, link],
  ['link marked deleted', LinkDocSchema, { ...link, deletedIn: 'crm', deletedTime: t }],
  ['link input', LinkInputSchema, { ...link, _id: undefined, createdTime: undefined }],
  [
    'cursor',
    CursorDocSchema,
    {
      _id: `${integrationId}|accounts|crm_to_books`,
      integrationId,
      module: 'accounts',
      direction: 'crm_to_books',
      cursor: { modifiedTime: '2024-05-01T10:00:00.000Z', id: 'x' },
      modifiedTime: t,
    },
  ],
  ['running run', RunDocSchema, run],
  [
    'finished run with counts',
    RunDocSchema,
    {
      ...run,
      status: 'completed_with_failures',
      endedTime: t,
      counts: { accounts: { crm_to_books: { added: 2, failed: 1 } } },
      failureCount: 1,
    },
  ],
  [
    'page counts',
    RunPageCountsDocSchema,
    {
      _id: `${run._id}#p1`,
      runId: run._id,
      pageKey: 'p1',
      module: 'accounts',
      direction: 'crm_to_books',
      counts: { added: 1 },
      createdTime: t,
    },
  ],
  ['failure', FailureDocSchema, failure],
  ['audit entry', AuditDocSchema, auditEntry],
];

const invalid: Case[] = [
  [
    'integration id not from its parts',
    IntegrationDocSchema,
    { ...integration, _id: 'crm1/books9/production' },
    '_id',
  ],
  [
    'integration org id as an operator',
    IntegrationDocSchema,
    { ...integration, crmOrgId: { $ne: null } },
    'crmOrgId.$ne',
  ],
  [
    'integration environment',
    IntegrationDocSchema,
    { ...integration, environment: 'staging' },
    'environment',
  ],
  ['integration version 0 when stored', IntegrationDocSchema, { ...integration, version: 0 }, 'version'],
  [
    'one-way integration pushing to the CRM',
    IntegrationDocSchema,
    { ...integration, direction: 'one_way' },
    'config.customers.extent',
  ],
  [
    'field map with a $ key',
    IntegrationDocSchema,
    {
      ...integration,
      config: {
        ...config,
        items: { ...config.items, fieldMaps: [{ crmField: 'A', booksField: 'b', $where: '1' }] },
      },
    },
    'config.items.fieldMaps.0.$where',
  ],
  [
    'field map to a $ field',
    IntegrationDocSchema,
    {
      ...integration,
      config: { ...config, items: { ...config.items, fieldMaps: [{ crmField: '$A', booksField: 'b' }] } },
    },
    'config.items.fieldMaps.0.crmField',
  ],
  [
    'contact view with accounts only',
    IntegrationDocSchema,
    {
      ...integration,
      config: { ...config, customers: { ...config.customers, contactViewId: 'v1' } },
    },
    'config.customers.contactViewId',
  ],
  [
    'periodic sync of 1 minute',
    IntegrationDocSchema,
    { ...integration, config: { ...config, periodicSyncMinutes: 1 } },
    'config.periodicSyncMinutes',
  ],
  ['link id not from its parts', LinkDocSchema, { ...link, _id: 'x' }, '_id'],
  ['link entity', LinkDocSchema, { ...link, entity: 'account' }, 'entity'],
  ['link crmId object', LinkDocSchema, { ...link, crmId: { $gt: '' } }, 'crmId.$gt'],
  ['link crmId as a number', LinkDocSchema, { ...link, crmId: 100 }, 'crmId'],
  [
    'link lastSynced with a $ key',
    LinkDocSchema,
    { ...link, lastSynced: { crm: { $set: 1 }, books: {} } },
    'lastSynced.crm.$set',
  ],
  [
    'link lastSynced with a nested $ key',
    LinkDocSchema,
    {
      ...link,
      lastSynced: { crm: { Tags: [{ $where: 'x' }] }, books: {} },
    },
    'lastSynced.crm.Tags.0.$where',
  ],
  [
    'link lastSynced with a dotted key',
    LinkDocSchema,
    { ...link, lastSynced: { crm: { 'a.b': 1 }, books: {} } },
    'lastSynced.crm.a.b',
  ],
  [
    'link lastSynced with a Date value',
    LinkDocSchema,
    { ...link, lastSynced: { crm: { d: t }, books: {} } },
    'lastSynced.crm.d',
  ],
  ['link deleted without a time', LinkDocSchema, { ...link, deletedIn: 'books' }, 'deletedTime'],
  [
    'cursor with a bad time',
    CursorDocSchema,
    {
      _id: `${integrationId}|accounts|crm_to_books`,
      integrationId,
      module: 'accounts',
      direction: 'crm_to_books',
      cursor: { modifiedTime: '2024-05-01 10:00', id: 'x' },
      modifiedTime: t,
    },
    'cursor.modifiedTime',
  ],
  ['running run with an end', RunDocSchema, { ...run, endedTime: t }, 'endedTime'],
  ['finished run without an end', RunDocSchema, { ...run, status: 'completed' }, 'endedTime'],
  [
    'run with a negative count',
    RunDocSchema,
    { ...run, counts: { accounts: { crm_to_books: { added: -1 } } } },
    'counts.accounts.crm_to_books.added',
  ],
  ['run counts under an unsafe module key', RunDocSchema, { ...run, counts: { 'a.b': {} } }, 'counts.a.b'],
  ['run trigger', RunDocSchema, { ...run, trigger: 'manual' }, 'trigger'],
  [
    'failure payload with a $ key',
    FailureDocSchema,
    { ...failure, payload: { $approved: true } },
    'payload.$approved',
  ],
  ['failure with no attempts', FailureDocSchema, { ...failure, attempts: 0 }, 'attempts'],
  ['failure id not from its parts', FailureDocSchema, { ...failure, _id: 'f1' }, '_id'],
  ['audit action', AuditDocSchema, { ...auditEntry, action: 'Sync Run!' }, 'action'],
  ['audit actor type', AuditDocSchema, { ...auditEntry, actor: { type: 'robot', id: 'x' } }, 'actor.type'],
  ['audit outcome', AuditDocSchema, { ...auditEntry, outcome: 'ok' }, 'outcome'],
  ['__proto__ key anywhere', AuditDocSchema, JSON.parse('{"_id":"a","__proto__":{"x":1}}'), '__proto__'],
];

describe('sync-state document schemas', () => {
  it.each(valid)('accept %s', (_name, schema, doc) => {
    const result = schema.safeParse(doc);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it.each(invalid)('refuse %s', (_name, schema, doc, issuePath) => {
    const result = schema.safeParse(doc);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toContain(issuePath);
  });

  it('fill in the defaults of a stored run and configuration', () => {
    expect(RunDocSchema.parse(run)).toMatchObject({ counts: {}, failureCount: 0 });
    const parsed = IntegrationDocSchema.parse(integration);
    expect(parsed.config).toMatchObject({ transactionSync: false, periodicSyncMinutes: 120 });
    expect(parsed.config.customers).toMatchObject({ includeOrphanContacts: false, fieldMaps: [] });
    expect(parsed.config.items.fieldMaps).toEqual([
      { crmField: 'Unit_Price', booksField: 'rate', owner: 'latest', mandatory: false },
    ]);
  });
});

describe('delta cursors', () => {
  it.each([
    [{ modifiedTime: '2024-05-01T10:00:00.000Z', id: 'a' }, true],
    [{ modifiedTime: '2024-02-30T10:00:00.000Z', id: 'a' }, false],
    [{ modifiedTime: '2024-05-01T10:00:00Z', id: 'a' }, false],
    [{ modifiedTime: '2024-05-01T10:00:00.000+02:00', id: 'a' }, false],
    [{ modifiedTime: '2024-05-01T10:00:00.000Z', id: '' }, false],
    [{ modifiedTime: '2024-05-01T10:00:00.000Z', id: { $gt: '' } }, false],
  ])('%j valid: %s', (cursor, ok) => {
    expect(DeltaCursorSchema.safeParse(cursor).success).toBe(ok);
  });
});

describe('document ids', () => {
  it('are built from their parts', () => {
    expect(integrationIdOf('crm1', 'books1', 'sandbox')).toBe('crm1/books1/sandbox');
    expect(linkIdOf(integrationId, 'vendor', '7')).toBe(`${integrationId}|vendor|7`);
    expect(cursorIdOf(integrationId, 'items', 'books_to_crm')).toBe(`${integrationId}|items|books_to_crm`);
    expect(failureIdOf(integrationId, 'items', 'books_to_crm', '7')).toBe(
      `${integrationId}|items|books_to_crm|7`,
    );
    expect(runCountsIdOf('sync-run/a/1', 'items|books_to_crm|start')).toBe(
      'sync-run/a/1#items|books_to_crm|start',
    );
  });

  it.each([
    () => integrationIdOf('a/b', 'books1', 'production'),
    () => integrationIdOf('crm1', '$ne', 'production'),
    () => integrationIdOf('crm1', 'books1', 'staging' as 'sandbox'),
    () => linkIdOf(integrationId, 'customer', 'a|b'),
    () => cursorIdOf(integrationId, 'Items', 'crm_to_books'),
    () => runCountsIdOf('run#1', 'p'),
  ])('refuse unsafe parts (%#)', (build) => {
    expect(build).toThrow();
  });
});

describe('forbidden keys', () => {
  it.each([
    ['$where', true],
    ['a.b', true],
    ['a\0b', true],
    ['__proto__', true],
    ['Account_Name', false],
    ['price$', false],
    ['', false],
  ])('%j forbidden: %s', (key, forbidden) => {
    expect(forbiddenKeyReason(key) !== undefined).toBe(forbidden);
  });
});
