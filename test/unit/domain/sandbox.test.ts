import {
  copyRefusal,
  describeRefusals,
  environmentOfOrg,
  financeModuleRefusal,
  pairingRefusals,
  productRefusals,
  sandboxCreationRefusals,
  sandboxMarkOf,
  sandboxOrgDoc,
  withFinanceModules,
  type SandboxCreation,
  type ZohoProduct,
} from '../../../domain/sandbox';
import type { Environment } from '../../../domain/sync-state-schemas';

const PROD = { id: 'c1', company_name: 'Acme' };
const SANDBOX = { id: 'c1s', company_name: 'Acme', sandbox: { parent_org_id: 'c1' } };
const BOOKS_PROD = { organization_id: 'b1', name: 'Acme Books' };
const BOOKS_SANDBOX = { organization_id: 'b1s', name: 'Acme Books', sandbox: { parent_org_id: 'b1' } };

describe('the environment of an org', () => {
  it.each([
    ['no mark', PROD, 'production'],
    ['a mark naming its parent', SANDBOX, 'sandbox'],
    ['a mark that does not parse', { ...PROD, sandbox: { parent_org_id: { $ne: 1 } } }, 'production'],
  ])('%s: %s', (_what, org, expected) => {
    expect(environmentOfOrg(org)).toBe(expected);
  });
});

describe('S8.2: which orgs an integration of each environment joins', () => {
  type Org = Record<string, unknown>;
  const TABLE: [Environment, Org, Org, string[]][] = [
    ['production', PROD, BOOKS_PROD, []],
    ['sandbox', SANDBOX, BOOKS_SANDBOX, []],
    ['sandbox', SANDBOX, BOOKS_PROD, ['booksOrgId: Books org b is a production org']],
    ['sandbox', PROD, BOOKS_SANDBOX, ['crmOrgId: CRM org c is a production org']],
    [
      'sandbox',
      PROD,
      BOOKS_PROD,
      ['crmOrgId: CRM org c is a production org', 'booksOrgId: Books org b is a production org'],
    ],
    ['production', SANDBOX, BOOKS_PROD, ['crmOrgId: CRM org c is a sandbox']],
    ['production', PROD, BOOKS_SANDBOX, ['booksOrgId: Books org b is a sandbox']],
  ];
  const orgOf = (org: object) =>
    environmentOfOrg(org as Record<string, unknown>) === 'sandbox' ? 'sandbox' : 'production';
  it.each(
    TABLE.map(
      ([env, crm, books, expected]) => [env, orgOf(crm), orgOf(books), crm, books, expected] as const,
    ),
  )(
    '%s integration of a %s CRM org with a %s Books org',
    (environment, _crm, _books, crmOrg, booksOrg, expected) => {
      const refusals = pairingRefusals({ environment, crmOrgId: 'c', crmOrg, booksOrgId: 'b', booksOrg });
      expect(refusals.map((r) => `${r.field}: ${r.reason}`.split(':').slice(0, 2).join(':'))).toEqual(
        expected,
      );
      for (const r of refusals) expect(r.reason).toMatch(/\(S8\.2\)$/);
    },
  );

  it('says a sandbox integrates with the other sandbox only, never with production', () => {
    const [refusal] = pairingRefusals({
      environment: 'sandbox',
      crmOrgId: 'c1s',
      crmOrg: SANDBOX,
      booksOrgId: 'b1',
      booksOrg: BOOKS_PROD,
    });
    expect(refusal?.reason).toBe(
      'Books org b1 is a production org: a sandbox integration joins a CRM sandbox with a Books sandbox only, ' +
        'never with production Books (S8.2)',
    );
  });
});

describe('S8.6: only Books in a sandbox', () => {
  const TABLE: [Environment, ZohoProduct[], string[]][] = [
    ['sandbox', ['books'], []],
    ['sandbox', ['books', 'inventory'], ['products.1: Zoho Inventory is not supported in a sandbox']],
    ['sandbox', ['expense'], ['products.0: Zoho Expense is not supported in a sandbox']],
    ['sandbox', ['billing'], ['products.0: Zoho Billing is not supported in a sandbox']],
    ['sandbox', ['invoice'], ['products.0: Zoho Invoice is not supported in a sandbox']],
    ['production', ['books', 'inventory', 'expense', 'billing', 'invoice'], []],
  ];
  it.each(TABLE)('%s asking for %j', (environment, products, expected) => {
    const refusals = productRefusals(environment, products);
    expect(refusals.map((r) => `${r.field}: ${r.reason.split(':')[0]}`)).toEqual(expected);
    for (const r of refusals) expect(r.reason).toMatch(/only Zoho Books is \(S8\.6\)$/);
  });
});

describe('S8.4 / S8.5: no copy between environments', () => {
  it.each([
    ['sandbox', /cannot be deployed to production and leaves no deployment log.*\(S8\.4\)$/],
    ['production', /is not copied into the sandbox.*\(S8\.5\)$/],
  ] as const)('copying a %s integration is refused', (from, reason) => {
    const refusal = copyRefusal(from);
    expect(refusal.field).toBe('environment');
    expect(refusal.reason).toMatch(reason);
  });
});

describe('creating a sandbox (S8.1: one Books sandbox per Books org)', () => {
  const creation = (over: Partial<SandboxCreation>): SandboxCreation => ({
    side: 'books',
    parentOrgId: 'b1',
    parentOrg: BOOKS_PROD,
    sandboxOrgId: 'b1s',
    existingOrg: undefined,
    takenBy: undefined,
    ...over,
  });
  const TABLE: [string, Partial<SandboxCreation>, string[]][] = [
    ['the first Books sandbox', {}, []],
    ['the same sandbox again (idempotent)', { existingOrg: BOOKS_SANDBOX, takenBy: 'b1s' }, []],
    [
      'a second Books sandbox',
      { sandboxOrgId: 'b1t', takenBy: 'b1s' },
      [
        'parentOrgId: Books org b1 already has a sandbox, b1s: one Books sandbox per Books org, a second is refused (S8.1)',
      ],
    ],
    ['a second CRM sandbox', { side: 'crm', parentOrg: PROD, parentOrgId: 'c1', takenBy: 'c1s' }, []],
    ['an unknown parent', { parentOrg: undefined }, ['parentOrgId: Books org b1 is not known']],
    [
      'a sandbox of a sandbox',
      { parentOrg: BOOKS_SANDBOX },
      ['parentOrgId: Books org b1 is itself a sandbox: a sandbox is made from a production org'],
    ],
    [
      'the parent itself',
      { sandboxOrgId: 'b1' },
      ['sandboxOrgId: must differ from the parent org: a sandbox is a separate org'],
    ],
    [
      'over an existing production org',
      { existingOrg: { organization_id: 'b1s', name: 'Other' } },
      ['sandboxOrgId: Books org b1s already exists and is not a sandbox of b1'],
    ],
  ];
  it.each(TABLE)('%s', (_what, over, expected) => {
    expect(sandboxCreationRefusals(creation(over)).map((r) => `${r.field}: ${r.reason}`)).toEqual(expected);
  });

  it('copies the settings, never the connected Books orgs, under the new id with its mark', () => {
    const parent = { ...PROD, edition: 'Enterprise', books_organizations: [{ organization_id: 'b1' }] };
    expect(sandboxOrgDoc('crm', parent, 'c1', 'c1s')).toEqual({
      id: 'c1s',
      company_name: 'Acme',
      edition: 'Enterprise',
      sandbox: { parent_org_id: 'c1', finance_modules: [] },
    });
    expect(sandboxOrgDoc('books', BOOKS_PROD, 'b1', 'b1s')).toMatchObject({ organization_id: 'b1s' });
  });
});

describe('S8.3: records in a CRM sandbox finance module once the scheduled job created it', () => {
  it.each([
    ['a sandbox before the job', SANDBOX, 'Quotes', 'module: the CRM sandbox c1s has no Quotes module yet'],
    ['a sandbox after the job', withFinanceModules(SANDBOX), 'Quotes', undefined],
    ['a production org', PROD, 'Invoices', undefined],
    ['a module that is not a finance module', SANDBOX, 'Accounts', undefined],
  ])('%s, %#', (_what, org, module, expected) => {
    const refusal = financeModuleRefusal('c1s', org, module);
    expect(refusal && describeRefusals([refusal]).split(':').slice(0, 2).join(':')).toBe(expected);
  });

  it('creating the modules twice gives the same document', () => {
    const once = withFinanceModules(SANDBOX);
    expect(withFinanceModules(once)).toEqual(once);
    expect(sandboxMarkOf(once)?.finance_modules).toEqual([
      'Quotes',
      'Sales_Orders',
      'Invoices',
      'Purchase_Orders',
    ]);
    expect(withFinanceModules(PROD)).toBe(PROD);
  });
});
