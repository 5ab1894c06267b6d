import { formatVerifyReport } from '../../../cli/verify-command';
import { resolveFieldMaps } from '../../../domain/sync/field-maps';
import type { SyncKind } from '../../../domain/sync/kinds';
import {
  EXCLUSION_RULES,
  verifyStores,
  type VerifyConfig,
  type VerifyInput,
  type VerifyLink,
  type VerifyProblem,
  type VerifyRecord,
} from '../../../domain/verify';

/** verify on plain records: each problem kind, each exclusion rule, and a clean case. */

type Data = Record<string, unknown>;

const rec = (id: string, data: Data, deleted = false): VerifyRecord => ({ id, data, deleted });
const link = (
  entity: string,
  crmModule: string,
  crmId: string,
  booksId: string,
  extra: Partial<VerifyLink> = {},
): VerifyLink => ({ entity, crmModule, crmId, booksId, ...extra });

const account = (id: string, name: string, extra: Data = {}) =>
  rec(id, { id, Account_Name: name, Phone: '+1 555 0100', Billing_City: 'Springfield', ...extra });
const customer = (id: string, name: string, extra: Data = {}) =>
  rec(id, {
    contact_id: id,
    contact_name: name,
    company_name: name,
    contact_type: 'customer',
    customer_sub_type: 'business',
    phone: '+1 555 0100',
    billing_address: { city: 'Springfield' },
    ...extra,
  });
const product = (id: string, name: string, extra: Data = {}) =>
  rec(id, { id, Product_Name: name, Unit_Price: 10, Product_Active: true, ...extra });
const item = (id: string, name: string, extra: Data = {}) =>
  rec(id, { item_id: id, name, rate: 10, status: 'active', ...extra });
const vendor = (id: string, name: string) => rec(id, { id, Vendor_Name: name });
const booksVendor = (id: string, name: string) =>
  rec(id, { contact_id: id, contact_name: name, company_name: name, contact_type: 'vendor' });
const contact = (id: string, first: string, last: string, accountId?: string, extra: Data = {}) =>
  rec(id, {
    id,
    First_Name: first,
    Last_Name: last,
    ...(accountId && { Account_Name: { id: accountId, name: accountId } }),
    ...extra,
  });
const person = (id: string, first: string, last: string, extra: Data = {}) => ({
  contact_person_id: id,
  first_name: first,
  last_name: last,
  ...extra,
});

const CONFIG: VerifyConfig = {
  customers: {
    module: 'accounts',
    includeOrphanContacts: false,
    extent: 'both_ways',
    duplicatePolicy: 'skip',
    fieldMaps: [],
  },
  vendors: { extent: 'fetch_from_crm', duplicatePolicy: 'clone', fieldMaps: [] },
  items: { extent: 'both_ways', duplicatePolicy: 'overwrite', fieldMaps: [] },
};
const WITH_PERSONS: VerifyConfig = {
  ...CONFIG,
  customers: { ...CONFIG.customers, module: 'accounts_and_contacts' },
};

const MAPS = Object.fromEntries(
  (['account', 'contact', 'contact_person', 'vendor', 'item'] as SyncKind[]).map((k) => [
    k,
    resolveFieldMaps(k, [], []),
  ]),
);

/** A clean pair of stores: one account, vendor and product each linked to its equal Books record. */
function base(): VerifyInput {
  return {
    integrationId: 'crm-1/books-1/production',
    config: CONFIG,
    crm: {
      Accounts: [account('a1', 'Acme Corp')],
      Contacts: [],
      Vendors: [vendor('v1', 'Parts Ltd')],
      Products: [product('p1', 'Widget')],
    },
    books: {
      contacts: [customer('b1', 'Acme Corp'), booksVendor('bv1', 'Parts Ltd')],
      items: [item('i1', 'Widget')],
    },
    links: [
      link('customer', 'Accounts', 'a1', 'b1'),
      link('vendor', 'Vendors', 'v1', 'bv1'),
      link('item', 'Products', 'p1', 'i1'),
    ],
    openFailures: [],
    maps: MAPS,
  };
}

/** Accounts and their Contacts: a1 ↔ b1 with contact c1 as person cp1, both linked. */
function withPersons(): VerifyInput {
  const input = base();
  return {
    ...input,
    config: WITH_PERSONS,
    crm: { ...input.crm, Contacts: [contact('c1', 'Ann', 'Lee', 'a1')] },
    books: {
      ...input.books,
      contacts: [
        customer('b1', 'Acme Corp', { contact_persons: [person('cp1', 'Ann', 'Lee')] }),
        booksVendor('bv1', 'Parts Ltd'),
      ],
    },
    links: [...input.links, link('contact_person', 'Contacts', 'c1', 'cp1', { parentBooksId: 'b1' })],
  };
}

type Change = (input: VerifyInput) => VerifyInput;
/** The input with these records in one module of one side, replacing those of the same id. */
const put =
  <S extends 'crm' | 'books'>(side: S, module: keyof VerifyInput[S], ...records: VerifyRecord[]): Change =>
  (i) => {
    const kept = (i[side][module] as readonly VerifyRecord[]).filter(
      (r) => !records.some((x) => x.id === r.id),
    );
    return { ...i, [side]: { ...i[side], [module]: [...kept, ...records] } };
  };
const withCrm = (module: keyof VerifyInput['crm'], ...records: VerifyRecord[]) =>
  put('crm', module, ...records);
const withBooks = (module: keyof VerifyInput['books'], ...records: VerifyRecord[]) =>
  put('books', module, ...records);
const addLinks =
  (...links: VerifyLink[]): Change =>
  (i) => ({ ...i, links: [...i.links, ...links] });
const configure =
  (config: VerifyConfig): Change =>
  (i) => ({ ...i, config });

/** The part of a problem a case names. */
type Expected = Partial<Pick<VerifyProblem, 'problem' | 'module' | 'side' | 'recordId' | 'field'>> & {
  crm?: unknown;
  books?: unknown;
};

const pick = (p: VerifyProblem, e: Expected) =>
  Object.fromEntries(Object.keys(e).map((k) => [k, p[k as keyof VerifyProblem]]));

describe('verifyStores', () => {
  it('reports nothing on stores that agree, and says what it looked at', () => {
    const report = verifyStores(base());
    expect(report).toEqual({
      integrationId: 'crm-1/books-1/production',
      ok: true,
      checked: { crm: 3, books: 3, links: 3 },
      problems: [],
      excluded: {},
      rules: {},
    });
  });

  it('reports nothing for a clean "Accounts and their Contacts" integration with persons', () => {
    const report = verifyStores(withPersons());
    expect(report.problems).toEqual([]);
    expect(report.checked).toEqual({ crm: 4, books: 4, links: 4 });
  });

  it.each<[string, () => VerifyInput, Expected[]]>([
    [
      'a CRM account neither linked nor failed',
      () => withCrm('Accounts', account('a2', 'Globex'))(base()),
      [{ problem: 'unlinked', module: 'customers', side: 'crm', recordId: 'a2' }],
    ],
    [
      'a Books customer neither linked nor failed, both ways',
      () => withBooks('contacts', customer('b2', 'Initech'))(base()),
      [{ problem: 'unlinked', module: 'customers', side: 'books', recordId: 'b2' }],
    ],
    [
      'a Books item under overwrite in its first direction (Books → CRM for items both ways)',
      () => withBooks('items', item('i2', 'gear'))(withCrm('Products', product('p2', 'Gear'))(base())),
      [{ problem: 'unlinked', module: 'items', side: 'books', recordId: 'i2' }],
    ],
    [
      'a duplicate under clone (clone always creates)',
      () =>
        withBooks(
          'contacts',
          booksVendor('bv2', 'ACME Parts'),
        )(withCrm('Vendors', vendor('v2', 'Acme Parts'))(base())),
      [{ problem: 'unlinked', module: 'vendors', side: 'crm', recordId: 'v2' }],
    ],
    [
      'a mapped field that differs on a linked pair, with both values',
      () => withBooks('contacts', customer('b1', 'Acme Corp', { phone: '+1 555 0199' }))(base()),
      [
        {
          problem: 'unequal',
          module: 'customers',
          side: 'crm',
          recordId: 'a1',
          field: 'Phone',
          crm: '+1 555 0100',
          books: '+1 555 0199',
        },
      ],
    ],
    [
      'an address part and an item rate that differ',
      () =>
        withBooks(
          'items',
          item('i1', 'Widget', { rate: 12.5 }),
        )(withCrm('Accounts', account('a1', 'Acme Corp', { Billing_City: 'Shelbyville' }))(base())),
      [
        {
          problem: 'unequal',
          recordId: 'a1',
          field: 'Billing_City',
          crm: 'Shelbyville',
          books: 'Springfield',
        },
        { problem: 'unequal', recordId: 'p1', field: 'Unit_Price', crm: 10, books: 12.5 },
      ],
    ],
    [
      'a Books record linked to two CRM records',
      () =>
        addLinks(link('customer', 'Accounts', 'a2', 'b1'))(
          withCrm('Accounts', account('a2', 'Acme Corp'))(base()),
        ),
      [{ problem: 'linked_twice', module: 'customers', side: 'books', recordId: 'b1' }],
    ],
    [
      'a CRM record linked to two Books records',
      () => addLinks(link('item', 'Products', 'p1', 'i2'))(withBooks('items', item('i2', 'Widget'))(base())),
      [{ problem: 'linked_twice', module: 'items', side: 'crm', recordId: 'p1' }],
    ],
    [
      'a link whose Books record is missing',
      () =>
        addLinks(link('customer', 'Accounts', 'a2', 'b-gone'))(
          withCrm('Accounts', account('a2', 'Globex'))(base()),
        ),
      [{ problem: 'dangling_link', module: 'customers', side: 'books', recordId: 'b-gone' }],
    ],
    [
      'a link whose CRM record is missing',
      () =>
        addLinks(link('vendor', 'Vendors', 'v-gone', 'bv2'))(
          withBooks('contacts', booksVendor('bv2', 'X'))(base()),
        ),
      [{ problem: 'dangling_link', module: 'vendors', side: 'crm', recordId: 'v-gone' }],
    ],
    [
      'a contact person link whose person left its customer in Books',
      () => withBooks('contacts', customer('b1', 'Acme Corp'))(withPersons()),
      [{ problem: 'dangling_link', module: 'customers', side: 'books', recordId: 'cp1' }],
    ],
    [
      "a contact person's mapped field that differs",
      () =>
        withBooks(
          'contacts',
          customer('b1', 'Acme Corp', {
            contact_persons: [person('cp1', 'Ann', 'Lee', { email: 'ann@x.test' })],
          }),
        )(withPersons()),
      [{ problem: 'unequal', recordId: 'c1', field: 'Email', crm: null, books: 'ann@x.test' }],
    ],
    [
      'a contact person under another customer than its contact account',
      () =>
        addLinks(link('customer', 'Accounts', 'a2', 'b2'))(
          withBooks(
            'contacts',
            customer('b2', 'Globex'),
          )(
            withCrm(
              'Accounts',
              account('a2', 'Globex'),
            )(withCrm('Contacts', contact('c1', 'Ann', 'Lee', 'a2'))(withPersons())),
          ),
        ),
      [{ problem: 'unequal', recordId: 'c1', field: 'Account_Name', crm: 'a2', books: 'b1' }],
    ],
    [
      'a CRM contact of a synced account that is no contact person',
      () => withCrm('Contacts', contact('c2', 'Raj', 'Patel', 'a1'))(withPersons()),
      [{ problem: 'unlinked', module: 'customers', side: 'crm', recordId: 'c2' }],
    ],
    [
      'a Books contact person of a linked customer without a CRM contact, both ways',
      () =>
        withBooks(
          'contacts',
          customer('b1', 'Acme Corp', {
            contact_persons: [person('cp1', 'Ann', 'Lee'), person('cp2', 'Raj', 'Patel')],
          }),
        )(withPersons()),
      [{ problem: 'unlinked', module: 'customers', side: 'books', recordId: 'cp2' }],
    ],
  ])('detects %s', (_name, build, expected) => {
    const report = verifyStores(build());
    expect(report.ok).toBe(false);
    expect(report.problems.map((p, i) => pick(p, expected[i] ?? {}))).toEqual(expected);
  });

  it.each<[string, () => VerifyInput, Record<string, number>]>([
    [
      'an unlinked record with an open failure',
      () => ({
        ...withCrm('Accounts', account('a2', ''))(base()),
        openFailures: [{ module: 'customers', direction: 'crm_to_books', recordId: 'a2' }],
      }),
      { open_failure: 1 },
    ],
    [
      'an unlinked CRM account outside the chosen view',
      () => ({
        ...withCrm('Accounts', account('a2', 'Globex', { Billing_City: 'Elsewhere' }))(base()),
        inView: { account: (d: Data) => d.Billing_City === 'Springfield' },
      }),
      { outside_view: 1 },
    ],
    [
      'a same-named pair left apart by policy skip, on both sides',
      () =>
        withBooks('contacts', customer('b2', 'GLOBEX'))(withCrm('Accounts', account('a2', 'Globex'))(base())),
      { duplicate_skipped: 2 },
    ],
    [
      'a CRM product under overwrite in its second direction (CRM → Books for items both ways)',
      () => ({
        ...withBooks('items', item('i2', 'gear'))(withCrm('Products', product('p2', 'Gear'))(base())),
        openFailures: [{ module: 'items', direction: 'books_to_crm', recordId: 'i2' }],
      }),
      { duplicate_skipped: 1, open_failure: 1 },
    ],
    [
      'a contact without an account, orphans not included',
      () => withCrm('Contacts', contact('c2', 'Bo', 'Ng'))(withPersons()),
      { orphan_contact_not_included: 1 },
    ],
    [
      'a contact whose account is not synced',
      () => withCrm('Contacts', contact('c2', 'Bo', 'Ng', 'a9'))(withPersons()),
      { account_not_synced: 1 },
    ],
    [
      'a Books contact person of a customer not linked to a CRM account',
      () =>
        withBooks(
          'contacts',
          customer('b2', 'Globex', { contact_persons: [person('cp2', 'Bo', 'Ng')] }),
        )(withCrm('Accounts', account('a2', 'Globex'))(withPersons())),
      { duplicate_skipped: 2, customer_not_synced: 1 },
    ],
    [
      'a linked pair with a deleted side',
      () =>
        withBooks(
          'contacts',
          customer('b1', 'Acme Corp', { phone: '0' }),
        )({
          ...base(),
          links: base().links.map((l) => (l.crmId === 'a1' ? { ...l, deletedIn: 'books' as const } : l)),
        }),
      { compare_skipped_deleted: 1 },
    ],
    [
      'a linked pair with an open failure',
      () => ({
        ...withCrm('Accounts', account('a1', 'Acme Corp', { Phone: '1' }))(base()),
        openFailures: [{ module: 'customers', direction: 'crm_to_books', recordId: 'a1' }],
      }),
      { compare_skipped_open_failure: 1 },
    ],
    [
      'a linked pair whose CRM record left the view',
      () => ({
        ...withCrm('Accounts', account('a1', 'Acme Corp', { Phone: '1' }))(base()),
        inView: { account: () => false },
      }),
      { compare_skipped_outside_view: 1 },
    ],
    [
      'links of a kind the configuration no longer syncs',
      () => ({
        ...withBooks(
          'contacts',
          customer('b9', 'Old Individual', { customer_sub_type: 'individual' }),
        )(withCrm('Contacts', contact('c9', 'Old', 'Individual', undefined, { Phone: '9' }))(base())),
        links: [...base().links, link('customer', 'Contacts', 'c9', 'b9')],
      }),
      { compare_skipped_unsynced_kind: 1 },
    ],
    [
      'a detached contact-person link (its contact lost its account)',
      () =>
        addLinks(link('contact_person', 'Contacts', 'c2', 'cp2'))(
          withCrm('Contacts', contact('c2', 'Bo', 'Ng'))(withPersons()),
        ),
      { person_link_detached: 1 },
    ],
  ])('leaves out %s', (_name, build, excluded) => {
    const input = build();
    const report = verifyStores(input);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.excluded).toEqual(excluded);
    for (const rule of Object.keys(excluded))
      expect(report.rules[rule]).toBe(EXCLUSION_RULES[rule as keyof typeof EXCLUSION_RULES]);
  });

  it('leaves out deleted unlinked records under the deleted rule', () => {
    const input = withBooks('items', item('i2', 'Gone'))(withCrm('Accounts', account('a2', 'Old'))(base()));
    input.crm.Accounts = input.crm.Accounts.map((r) => (r.id === 'a2' ? { ...r, deleted: true } : r));
    input.books.items = input.books.items.map((r) => (r.id === 'i2' ? { ...r, deleted: true } : r));
    const report = verifyStores(input);
    expect(report.problems).toEqual([]);
    expect(report.excluded).toEqual({ deleted: 2 });
  });

  it('does not ask Books records to be linked when the module only fetches from the CRM', () => {
    const oneWay: VerifyConfig = { ...CONFIG, customers: { ...CONFIG.customers, extent: 'fetch_from_crm' } };
    const report = verifyStores(configure(oneWay)(withBooks('contacts', customer('b2', 'Initech'))(base())));
    expect(report.ok).toBe(true);
    expect(report.checked.books).toBe(4);
  });

  it('reads an Individual named only by its display name as the CRM does (First Last)', () => {
    const contacts: VerifyConfig = { ...CONFIG, customers: { ...CONFIG.customers, module: 'contacts' } };
    const report = verifyStores(
      configure(contacts)({
        ...base(),
        crm: { ...base().crm, Contacts: [contact('c1', 'Ann', 'Lee')] },
        books: {
          ...base().books,
          contacts: [
            ...base().books.contacts,
            rec('b5', {
              contact_id: 'b5',
              contact_name: 'Ann Lee',
              contact_type: 'customer',
              customer_sub_type: 'individual',
            }),
          ],
        },
        links: [...base().links, link('customer', 'Contacts', 'c1', 'b5')],
      }),
    );
    // The account a1 ↔ b1 pair is of a kind no longer synced; the Individual pair is equal.
    expect(report.problems).toEqual([]);
    expect(report.excluded).toEqual({ compare_skipped_unsynced_kind: 1 });
  });

  it('lists problems in a stable order: linked twice, dangling, unlinked, unequal', () => {
    const input = addLinks(
      link('customer', 'Accounts', 'a3', 'b1'),
      link('item', 'Products', 'p9', 'i-gone'),
    )(
      withCrm(
        'Accounts',
        account('a2', 'Globex'),
        account('a3', 'Acme Corp'),
      )(withBooks('contacts', customer('b1', 'Acme Corp', { phone: '2' }))(base())),
    );
    const kinds = verifyStores(input).problems.map((p) => p.problem);
    expect(kinds).toEqual([
      'linked_twice',
      'dangling_link',
      'dangling_link',
      'unlinked',
      'unequal',
      'unequal',
    ]);
  });
});

describe('formatVerifyReport (the CLI)', () => {
  it('says the stores agree, with what was checked and the rules that left records out', () => {
    const report = verifyStores(
      withCrm('Accounts', account('a2', 'Globex'))({ ...base(), inView: { account: (d) => d.id === 'a1' } }),
    );
    expect(formatVerifyReport(report).split('\n')).toEqual([
      'crm-1/books-1/production: the stores agree',
      'checked 4 CRM record(s), 3 Books record(s), 3 link(s)',
      'excluded by rule:',
      `  outside_view 1: ${EXCLUSION_RULES.outside_view}`,
    ]);
  });

  it('lists one line per problem up to the cap, then how many more', () => {
    const extra = Array.from({ length: 5 }, (_, n) => account(`x${n}`, `Extra ${n}`));
    const report = verifyStores(
      withCrm(
        'Accounts',
        ...extra,
      )(withBooks('contacts', customer('b1', 'Acme Corp', { phone: '2' }))(base())),
    );
    const lines = formatVerifyReport(report, 3).split('\n');
    expect(lines[0]).toBe('crm-1/books-1/production: 6 problem(s) (5 unlinked, 1 unequal)');
    expect(lines.slice(3)).toEqual([
      expect.stringMatching(/^unlinked +customers: CRM account x0 "Extra 0" is not linked/),
      expect.stringMatching(/^unlinked +customers: CRM account x1 /),
      expect.stringMatching(/^unlinked +customers: CRM account x2 /),
      '… and 3 more (--json lists them all)',
    ]);
    expect(formatVerifyReport(report)).toContain(
      'unequal       customers: CRM account a1 ↔ Books Business customer b1: Phone "+1 555 0100" ≠ phone "2"',
    );
  });
});
