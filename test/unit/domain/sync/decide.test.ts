import { BOOKS_ID_KEYS, BOOKS_MODULES } from '../../../../domain/books-schemas';
import { CRM_MODULES } from '../../../../domain/crm-schemas';
import {
  booksValues,
  crmValues,
  resolveFieldMaps,
  type FieldMapSpec,
  type FieldOwner,
  type FieldValues,
  type ResolvedFieldMap,
} from '../../../../domain/sync/field-maps';
import {
  decidePage,
  type DecidePageInput,
  type DecidePageResult,
  type Direction,
  type DuplicatePolicy,
  type LinkState,
  type LinkWrite,
  type Outcome,
  type PageRecord,
} from '../../../../domain/sync/decide';
import { createdRecordId, KIND_SPECS, syncKeyOf, type BooksContext } from '../../../../domain/sync/kinds';

type Kind = 'account' | 'contact' | 'vendor' | 'item';
const KINDS: Kind[] = ['account', 'contact', 'vendor', 'item'];
const DIRECTIONS: Direction[] = ['crm_to_books', 'books_to_crm'];

const INTEGRATION = 'int-main-1';
const BOOKS: BooksContext = { baseCurrency: 'USD', currencies: ['USD', 'EUR'] };
const T0 = '2024-06-01T10:00:00.000Z';
const T1 = '2024-06-01T11:00:00.000Z';
const T2 = '2024-06-01T12:00:00.000Z';

/** A mapped field present on both sides as a plain top-level value. */
interface Field {
  crm: string;
  books: string;
}

interface Fixture {
  crmId: string;
  booksId: string;
  /** A valid CRM record of the kind (no id). */
  crm: Record<string, unknown>;
  /** A valid, in-scope Books record of the kind (no id key), named differently from `crm`. */
  books: Record<string, unknown>;
  /** The record carrying `name` as its display name. */
  crmNamed(name: string): Record<string, unknown>;
  booksNamed(name: string): Record<string, unknown>;
  /** Field `a` is changed on both sides in the conflict tests, field `b` on one side only. */
  a: Field;
  b: Field;
  /** The CRM field holding the display name, named by an ambiguity failure. */
  crmNameField: string;
  booksNameField: string;
}

const FIXTURES: Record<Kind, Fixture> = {
  account: {
    crmId: '4150868000000224005',
    booksId: '460000000026049',
    crm: {
      Account_Name: 'Zylker Traders',
      Account_Type: 'Customer',
      Phone: '+1 415 555 0134',
      Website: 'https://zylker.example',
      Currency: 'USD',
      Billing_Street: '4900 Hopyard Rd',
      Billing_City: 'Pleasanton',
      Billing_State: 'CA',
      Billing_Code: '94588',
      Billing_Country: 'USA',
      Owner: { id: '4150868000000225013', name: 'Patricia Boyle' },
    },
    books: {
      contact_type: 'customer',
      customer_sub_type: 'business',
      status: 'active',
      contact_name: 'Northwind Ltd',
      company_name: 'Northwind Ltd',
      phone: '+44 20 7946 0000',
      website: 'https://northwind.example',
      currency_code: 'EUR',
      payment_terms: 15,
      billing_address: { attention: 'AP', city: 'London', country: 'UK' },
    },
    crmNamed: (name) => ({ ...FIXTURES.account.crm, Account_Name: name }),
    booksNamed: (name) => ({ ...FIXTURES.account.books, contact_name: name, company_name: name }),
    a: { crm: 'Phone', books: 'phone' },
    b: { crm: 'Website', books: 'website' },
    crmNameField: 'Account_Name',
    booksNameField: 'contact_name',
  },
  contact: {
    crmId: '4150868000000231001',
    booksId: '460000000026101',
    crm: {
      First_Name: 'Jane',
      Last_Name: 'Doe',
      Email: 'jane.doe@example.com',
      Phone: '+1 512 555 0100',
      Currency: 'USD',
      Mailing_City: 'Austin',
      Mailing_Zip: '73301',
      Title: 'Owner',
    },
    books: {
      contact_type: 'customer',
      customer_sub_type: 'individual',
      status: 'active',
      contact_name: 'Mary Major',
      first_name: 'Mary',
      last_name: 'Major',
      email: 'mary.major@example.com',
      phone: '+1 206 555 0111',
      currency_code: 'USD',
    },
    crmNamed: (name) => {
      const words = name.trim().split(/\s+/);
      return {
        ...FIXTURES.contact.crm,
        First_Name: words.slice(0, -1).join(' ') || null,
        Last_Name: words[words.length - 1],
      };
    },
    booksNamed: (name) => {
      const words = name.trim().split(/\s+/);
      return {
        ...FIXTURES.contact.books,
        contact_name: name,
        first_name: words.slice(0, -1).join(' '),
        last_name: words[words.length - 1],
      };
    },
    a: { crm: 'Phone', books: 'phone' },
    b: { crm: 'Email', books: 'email' },
    crmNameField: 'Last_Name',
    booksNameField: 'contact_name',
  },
  vendor: {
    crmId: '4150868000000240007',
    booksId: '460000000026201',
    crm: {
      Vendor_Name: 'Acme Supplies',
      Email: 'ap@acme.example',
      Phone: '+1 303 555 0199',
      Website: 'https://acme.example',
      Currency: 'USD',
      City: 'Denver',
      Zip_Code: '80202',
      GL_Account: 'Purchases',
    },
    books: {
      contact_type: 'vendor',
      status: 'active',
      contact_name: 'Globex Parts',
      company_name: 'Globex Parts',
      email: 'sales@globex.example',
      phone: '+1 555 0100',
      website: 'https://globex.example',
      currency_code: 'USD',
      billing_address: { city: 'Springfield' },
    },
    crmNamed: (name) => ({ ...FIXTURES.vendor.crm, Vendor_Name: name }),
    booksNamed: (name) => ({ ...FIXTURES.vendor.books, contact_name: name, company_name: name }),
    a: { crm: 'Phone', books: 'phone' },
    b: { crm: 'Website', books: 'website' },
    crmNameField: 'Vendor_Name',
    booksNameField: 'contact_name',
  },
  item: {
    crmId: '4150868000000250003',
    booksId: '460000000027009',
    crm: {
      Product_Name: 'Ergonomic Chair',
      Product_Code: 'CHR-ERG-01',
      Unit_Price: 249.99,
      Description: 'Mesh back',
      Product_Active: true,
      Taxable: true,
      Qty_in_Stock: 12,
    },
    books: {
      name: 'Onboarding Consultation',
      sku: 'SVC-ONB-1',
      rate: 120,
      description: 'Hourly consultation',
      status: 'active',
      is_taxable: false,
      product_type: 'service',
      unit: 'hr',
    },
    crmNamed: (name) => ({ ...FIXTURES.item.crm, Product_Name: name }),
    booksNamed: (name) => ({ ...FIXTURES.item.books, name }),
    a: { crm: 'Description', books: 'description' },
    b: { crm: 'Product_Code', books: 'sku' },
    crmNameField: 'Product_Name',
    booksNameField: 'name',
  },
};

const mapsFor = (kind: Kind, userMaps: FieldMapSpec[] = []): ResolvedFieldMap[] =>
  resolveFieldMaps(kind, userMaps, []);

/** The maps of the kind with field `a` given another owner. */
const ownedMaps = (kind: Kind, owner: FieldOwner) =>
  mapsFor(kind, [{ crmField: FIXTURES[kind].a.crm, booksField: FIXTURES[kind].a.books, owner }]);

const rec = (
  id: string,
  data: Record<string, unknown>,
  extra: { modifiedTime?: string; deleted?: boolean } = {},
): PageRecord => ({ id, data, modifiedTime: extra.modifiedTime ?? T0, deleted: extra.deleted ?? false });

const crmRec = (kind: Kind, data: Record<string, unknown> = FIXTURES[kind].crm, time = T0) =>
  rec(FIXTURES[kind].crmId, { ...data, id: FIXTURES[kind].crmId }, { modifiedTime: time });
const booksRec = (kind: Kind, data: Record<string, unknown> = FIXTURES[kind].books, time = T0) =>
  rec(FIXTURES[kind].booksId, data, { modifiedTime: time });

function run(kind: Kind, direction: Direction, over: Partial<DecidePageInput> = {}): DecidePageResult {
  return decidePage({
    spec: KIND_SPECS[kind],
    direction,
    integrationId: INTEGRATION,
    maps: mapsFor(kind),
    duplicatePolicy: 'clone',
    books: BOOKS,
    records: [],
    inView: () => true,
    links: [],
    linkedTargets: [],
    candidates: [],
    linkedCandidateIds: new Set(),
    ...over,
  });
}

function only<T>(list: readonly T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

const asLink = (l: LinkWrite): LinkState => ({
  crmId: l.crmId,
  booksId: l.booksId,
  lastSynced: l.lastSynced,
  contentHash: l.contentHash,
});

const zero: Record<Outcome, number> = {
  added: 0,
  matched: 0,
  updated: 0,
  unchanged: 0,
  skipped: 0,
  failed: 0,
  deleted: 0,
};
const counts = (c: Partial<Record<Outcome, number>>) => ({ ...zero, ...c });

/** The values a record holds, in the CRM representation, as the decision reads them on each side. */
function valuesOf(kind: Kind, side: 'crm' | 'books', data: Record<string, unknown>, maps = mapsFor(kind)) {
  if (side === 'crm') return crmValues(maps, data);
  const v = booksValues(maps, data);
  const spec = KIND_SPECS[kind];
  return spec.completeCrmValues ? spec.completeCrmValues(v, data) : v;
}

/** The state after a first CRM → Books sync of the kind's CRM record: both records and their link. */
function syncedPair(kind: Kind, maps = mapsFor(kind)) {
  const crm = crmRec(kind);
  const r = run(kind, 'crm_to_books', { records: [crm], maps });
  const w = only(r.writes);
  return {
    crm,
    books: rec(w.id, w.data, { modifiedTime: T0 }),
    link: asLink(only(r.links)),
  };
}

const setField = (data: Record<string, unknown>, field: string, value: unknown) => ({
  ...data,
  [field]: value,
});

interface PairState {
  crm: PageRecord;
  books: PageRecord;
  link: LinkState;
}

/** One run of a pair both ways (CRM → Books, then Books → CRM), with the writes applied; counts the writes. */
function runBothWays(kind: Kind, maps: ResolvedFieldMap[], s: PairState, time: string) {
  let { crm, books, link } = s;
  let writes = 0;
  const step1 = run(kind, 'crm_to_books', { maps, records: [crm], links: [link], linkedTargets: [books] });
  for (const w of step1.writes) books = rec(w.id, w.data, { modifiedTime: time });
  for (const l of step1.links) link = asLink(l);
  writes += step1.writes.length;
  const step2 = run(kind, 'books_to_crm', { maps, records: [books], links: [link], linkedTargets: [crm] });
  for (const w of step2.writes) crm = rec(w.id, w.data, { modifiedTime: time });
  for (const l of step2.links) link = asLink(l);
  writes += step2.writes.length;
  return { state: { crm, books, link }, writes };
}

describe.each(KINDS)('%s: first sync, no links', (kind) => {
  const f = FIXTURES[kind];
  const spec = KIND_SPECS[kind];

  it('CRM → Books creates the Books record with a derived id, its sync key and a link', () => {
    const source = crmRec(kind);
    const r = run(kind, 'crm_to_books', { records: [source] });
    const id = createdRecordId(INTEGRATION, spec.entity, 'books', f.crmId);
    expect(r.counts).toEqual(counts({ added: 1 }));
    expect(r.decisions).toEqual([{ recordId: f.crmId, outcome: 'added', targetId: id, detail: undefined }]);
    const w = only(r.writes);
    expect(w.id).toBe(id);
    expect(w.syncKey).toBe(syncKeyOf(INTEGRATION, spec.entity, `crm_to_books:${f.crmId}`));
    // The new record starts from the kind's fixed fields and holds every mapped CRM value.
    expect(w.data).toEqual(expect.objectContaining(spec.newBooks()));
    expect(valuesOf(kind, 'books', w.data)).toEqual(valuesOf(kind, 'crm', source.data));
    const link = only(r.links);
    expect([link.crmId, link.booksId]).toEqual([f.crmId, id]);
    expect(link.lastSynced.crm).toEqual(link.lastSynced.books);
    expect(r.failures).toEqual([]);
    expect(r.deletedLinks).toEqual([]);
  });

  it('Books → CRM creates the CRM record with a derived id (also in its data) and a link', () => {
    const source = booksRec(kind);
    const r = run(kind, 'books_to_crm', { records: [source] });
    const id = createdRecordId(INTEGRATION, spec.entity, 'crm', f.booksId);
    expect(r.counts).toEqual(counts({ added: 1 }));
    const w = only(r.writes);
    expect(w.id).toBe(id);
    expect(w.data.id).toBe(id);
    expect(w.syncKey).toBe(syncKeyOf(INTEGRATION, spec.entity, `books_to_crm:${f.booksId}`));
    expect(valuesOf(kind, 'crm', w.data)).toEqual(valuesOf(kind, 'books', source.data));
    const link = only(r.links);
    expect([link.crmId, link.booksId]).toEqual([id, f.booksId]);
  });

  it.each(DIRECTIONS)(
    '%s: the same input gives the same output; ids depend on integration and source',
    (d) => {
      const source = d === 'crm_to_books' ? crmRec(kind) : booksRec(kind);
      const once = run(kind, d, { records: [source] });
      expect(run(kind, d, { records: [source] })).toEqual(once);
      const otherIntegration = run(kind, d, { records: [source], integrationId: 'int-other-2' });
      expect(only(otherIntegration.writes).id).not.toBe(only(once.writes).id);
      const otherSource = run(kind, d, { records: [{ ...source, id: `${source.id}9` }] });
      expect(only(otherSource.writes).id).not.toBe(only(once.writes).id);
    },
  );

  it('the written CRM record is a valid document of its CRM module', () => {
    const w = only(run(kind, 'books_to_crm', { records: [booksRec(kind)] }).writes);
    const parsed = CRM_MODULES[spec.crmModule].safeParse(w.data);
    expect(parsed.error?.issues).toBeUndefined();
  });

  it('the written Books record is a valid document of its Books module, its id in the id key', () => {
    // The Books store validates every write with BOOKS_MODULES[module] and wants the id key equal to the id.
    const w = only(run(kind, 'crm_to_books', { records: [crmRec(kind)] }).writes);
    const parsed = BOOKS_MODULES[spec.booksModule].safeParse(w.data);
    expect(parsed.error?.issues).toBeUndefined();
    expect(w.data[BOOKS_ID_KEYS[spec.booksModule]]).toBe(w.id);
    expect(spec.booksIdKey).toBe(BOOKS_ID_KEYS[spec.booksModule]);
  });

  it('echo suppression: the written Books record, read back as a Books → CRM source, is unchanged', () => {
    const { crm, books, link } = syncedPair(kind);
    const r = run(kind, 'books_to_crm', { records: [books], links: [link], linkedTargets: [crm] });
    expect(r.decisions).toEqual([{ recordId: books.id, outcome: 'unchanged', targetId: crm.id }]);
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
    expect(r.counts).toEqual(counts({ unchanged: 1 }));
  });

  it('echo suppression: the same CRM record synced again is unchanged', () => {
    const { crm, books, link } = syncedPair(kind);
    const r = run(kind, 'crm_to_books', { records: [crm], links: [link], linkedTargets: [books] });
    expect(r.counts).toEqual(counts({ unchanged: 1 }));
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
  });

  it('echo suppression: the written CRM record, read back as a CRM → Books source, is unchanged', () => {
    const source = booksRec(kind);
    const first = run(kind, 'books_to_crm', { records: [source] });
    const w = only(first.writes);
    const r = run(kind, 'crm_to_books', {
      records: [rec(w.id, w.data)],
      links: [asLink(only(first.links))],
      linkedTargets: [source],
    });
    expect(r.counts).toEqual(counts({ unchanged: 1 }));
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
  });

  it('echo suppression ignores fields that are not mapped', () => {
    const { crm, books, link } = syncedPair(kind);
    const touched = rec(
      books.id,
      { ...books.data, notes: 'internal', last_modified_time: T2 },
      { modifiedTime: T2 },
    );
    const r = run(kind, 'books_to_crm', { records: [touched], links: [link], linkedTargets: [crm] });
    expect(r.counts).toEqual(counts({ unchanged: 1 }));
  });
});

describe.each(KINDS.flatMap((k) => DIRECTIONS.map((d) => [k, d] as const)))(
  '%s %s: duplicates (S2.3)',
  (kind, direction) => {
    const f = FIXTURES[kind];
    const spec = KIND_SPECS[kind];
    const toBooks = direction === 'crm_to_books';
    const NAME = 'Harbor View Partners';
    const VARIANT = '  HARBOR   view partners ';
    const source = toBooks
      ? rec(f.crmId, { ...f.crmNamed(NAME), id: f.crmId })
      : rec(f.booksId, f.booksNamed(NAME));
    /** A target-side record named like the source, with a field the sync does not map. */
    const candidate = (id: string, name = VARIANT): PageRecord =>
      toBooks
        ? rec(id, { ...f.booksNamed(name), notes: 'keep me' })
        : rec(id, { ...f.crmNamed(name), id, Description_Extra: 'keep me' });
    const dupeId = toBooks ? '460000000099001' : '4150868000000999001';
    const dupe2Id = toBooks ? '460000000099002' : '4150868000000999002';
    const createdId = createdRecordId(INTEGRATION, spec.entity, toBooks ? 'books' : 'crm', source.id);
    const go = (policy: DuplicatePolicy, over: Partial<DecidePageInput> = {}) =>
      run(kind, direction, {
        records: [source],
        candidates: [candidate(dupeId)],
        duplicatePolicy: policy,
        ...over,
      });

    it('clone: a new record is created, the existing one is left as it is', () => {
      const r = go('clone');
      expect(r.decisions).toEqual([
        { recordId: source.id, outcome: 'added', targetId: createdId, detail: 'cloned (policy: clone)' },
      ]);
      expect(only(r.writes).id).toBe(createdId);
      expect(only(r.links)).toEqual(
        expect.objectContaining(toBooks ? { booksId: createdId } : { crmId: createdId }),
      );
    });

    it('overwrite: the existing record takes the source values, keeps its other fields, and is linked', () => {
      const r = go('overwrite');
      expect(r.decisions).toEqual([
        {
          recordId: source.id,
          outcome: 'matched',
          targetId: dupeId,
          detail: 'matched the existing record of the same name, overwritten and linked (policy: overwrite)',
        },
      ]);
      const w = only(r.writes);
      expect(w.id).toBe(dupeId);
      expect(w.syncKey).toBeUndefined();
      expect(w.data).toEqual(
        expect.objectContaining(
          toBooks ? { notes: 'keep me' } : { Description_Extra: 'keep me', id: dupeId },
        ),
      );
      expect(valuesOf(kind, toBooks ? 'books' : 'crm', w.data)).toEqual(
        valuesOf(kind, toBooks ? 'crm' : 'books', source.data),
      );
      const link = only(r.links);
      expect([link.crmId, link.booksId]).toEqual(toBooks ? [source.id, dupeId] : [dupeId, source.id]);
      expect(r.counts).toEqual(counts({ matched: 1 }));
    });

    it('overwrite: the overwritten record read back is unchanged (no echo)', () => {
      const r = go('overwrite');
      const w = only(r.writes);
      const back = run(kind, toBooks ? 'books_to_crm' : 'crm_to_books', {
        records: [rec(w.id, w.data)],
        links: [asLink(only(r.links))],
        linkedTargets: [source],
      });
      expect(back.counts).toEqual(counts({ unchanged: 1 }));
    });

    it('skip: the source is skipped, nothing is written or linked', () => {
      const r = go('skip');
      expect(r.decisions).toEqual([
        {
          recordId: source.id,
          outcome: 'skipped',
          skip: 'duplicate_exists',
          targetId: dupeId,
          detail: 'duplicate exists (policy: skip)',
        },
      ]);
      expect(r.writes).toEqual([]);
      expect(r.links).toEqual([]);
      expect(r.failures).toEqual([]);
    });

    it('overwrite with two candidates: a failure naming the ambiguity, nothing overwritten', () => {
      const r = go('overwrite', { candidates: [candidate(dupeId), candidate(dupe2Id, NAME)] });
      expect(r.counts).toEqual(counts({ failed: 1 }));
      expect(r.writes).toEqual([]);
      expect(r.links).toEqual([]);
      const failure = only(r.failures);
      expect(failure).toEqual({
        recordId: source.id,
        field: toBooks ? f.crmNameField : f.booksNameField,
        reason: expect.stringContaining('ambiguous duplicate: 2'),
        payload: source.data,
      });
      expect(failure.reason).toContain(dupeId);
      expect(failure.reason).toContain(dupe2Id);
    });

    it.each<[DuplicatePolicy, Outcome]>([
      ['clone', 'added'],
      ['skip', 'skipped'],
    ])('two candidates with %s: %s, no failure', (policy, outcome) => {
      const r = go(policy, { candidates: [candidate(dupeId), candidate(dupe2Id, NAME)] });
      expect(only(r.decisions).outcome).toBe(outcome);
      expect(r.failures).toEqual([]);
    });

    it.each<DuplicatePolicy>(['overwrite', 'skip'])(
      '%s: a candidate already linked is not a duplicate',
      (policy) => {
        const r = go(policy, { linkedCandidateIds: new Set([dupeId]) });
        expect(r.decisions).toEqual([
          { recordId: source.id, outcome: 'added', targetId: createdId, detail: undefined },
        ]);
        expect(only(r.writes).id).toBe(createdId);
      },
    );

    it('overwrite: of two candidates, one linked, the other is overwritten (not ambiguous)', () => {
      const r = go('overwrite', {
        candidates: [candidate(dupeId), candidate(dupe2Id, NAME)],
        linkedCandidateIds: new Set([dupeId]),
      });
      expect(only(r.writes).id).toBe(dupe2Id);
      expect(r.failures).toEqual([]);
    });

    it.each<DuplicatePolicy>(['overwrite', 'skip'])(
      '%s: a deleted candidate is not a duplicate',
      (policy) => {
        const deleted = { ...candidate(dupeId), deleted: true };
        const r = go(policy, { candidates: [deleted] });
        expect(only(r.decisions).outcome).toBe('added');
        expect(only(r.writes).id).toBe(createdId);
      },
    );

    it('a candidate with another name is not a duplicate', () => {
      const r = go('skip', { candidates: [candidate(dupeId, 'Harbor View Partners Inc')] });
      expect(only(r.decisions).outcome).toBe('added');
    });

    it('overwrite: two sources with the same name in one page do not both claim the one candidate', () => {
      const second = toBooks
        ? rec('4150868000000224777', { ...f.crmNamed(NAME.toUpperCase()), id: '4150868000000224777' })
        : rec('460000000026777', f.booksNamed(NAME.toUpperCase()));
      const r = go('overwrite', { records: [source, second] });
      expect(r.decisions.map((d) => [d.recordId, d.outcome, d.targetId])).toEqual([
        [source.id, 'matched', dupeId],
        [second.id, 'added', createdRecordId(INTEGRATION, spec.entity, toBooks ? 'books' : 'crm', second.id)],
      ]);
      expect(r.writes.filter((w) => w.id === dupeId)).toHaveLength(1);
      expect(r.links.filter((l) => (toBooks ? l.booksId : l.crmId) === dupeId)).toHaveLength(1);
    });

    it('skip: two sources with the same name in one page are both skipped', () => {
      const second = toBooks
        ? rec('4150868000000224777', { ...f.crmNamed(NAME), id: '4150868000000224777' })
        : rec('460000000026777', f.booksNamed(NAME));
      const r = go('skip', { records: [source, second] });
      expect(r.counts).toEqual(counts({ skipped: 2 }));
      expect(r.writes).toEqual([]);
    });

    // Expected: a retry after the target was written but before the link was saved (ARCHITECTURE: "targets
    // first, then links") finds its own earlier creation — the activity adds the record with the derived id
    // createdRecordId(...) to the candidates for exactly this — and links it, whatever the duplicate policy.
    it('a retry finds its own earlier creation among the candidates and links it (policy: skip)', () => {
      const first = run(kind, direction, { records: [source] });
      const w = only(first.writes);
      const retry = go('skip', { candidates: [rec(w.id, w.data)] });
      expect(only(retry.decisions).outcome).not.toBe('skipped');
      expect(only(retry.links)).toEqual(only(first.links));
    });

    it.each<DuplicatePolicy>(['clone', 'overwrite'])(
      '%s: a retry converges on its own earlier creation',
      (policy) => {
        const first = run(kind, direction, { records: [source] });
        const w = only(first.writes);
        const retry = go(policy, { candidates: [rec(w.id, w.data)] });
        expect(only(retry.writes).id).toBe(w.id);
        expect(only(retry.links)).toEqual(only(first.links));
      },
    );
  },
);

describe('duplicates: Books records of another kind are not candidates (CRM → Books)', () => {
  it.each<[Kind, Record<string, unknown>]>([
    ['account', { contact_type: 'vendor', contact_name: 'Zylker Traders' }],
    [
      'account',
      { contact_type: 'customer', customer_sub_type: 'individual', contact_name: 'Zylker Traders' },
    ],
    ['contact', { contact_type: 'customer', customer_sub_type: 'business', contact_name: 'Jane Doe' }],
    ['contact', { contact_type: 'customer', contact_name: 'Jane Doe' }],
    ['vendor', { contact_type: 'customer', customer_sub_type: 'business', contact_name: 'Acme Supplies' }],
  ])('%s ignores %o', (kind, other) => {
    const r = run(kind, 'crm_to_books', {
      records: [crmRec(kind)],
      candidates: [rec('460000000088001', other)],
      duplicatePolicy: 'skip',
    });
    expect(only(r.decisions).outcome).toBe('added');
  });

  it('a contact duplicate is matched on the full name "First Last"', () => {
    const r = run('contact', 'crm_to_books', {
      records: [crmRec('contact')],
      candidates: [rec('460000000088002', FIXTURES.contact.booksNamed('jane DOE'))],
      duplicatePolicy: 'skip',
    });
    expect(only(r.decisions)).toEqual(
      expect.objectContaining({ outcome: 'skipped', targetId: '460000000088002' }),
    );
  });
});

describe('views (S2.4)', () => {
  it.each(KINDS)('%s: a CRM record outside the view is skipped, nothing written', (kind) => {
    const seen: Record<string, unknown>[] = [];
    const source = crmRec(kind);
    const r = run(kind, 'crm_to_books', {
      records: [source],
      inView: (data) => {
        seen.push(data);
        return false;
      },
    });
    expect(seen).toEqual([source.data]);
    expect(r.decisions).toEqual([
      { recordId: source.id, outcome: 'skipped', skip: 'not_in_view', detail: 'not in the selected view' },
    ]);
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
  });

  it('a linked CRM record that left the view is skipped, its Books record is not updated', () => {
    const { crm, books, link } = syncedPair('account');
    const changed = rec(crm.id, setField(crm.data, 'Phone', '+1 000'), { modifiedTime: T1 });
    const r = run('account', 'crm_to_books', {
      records: [changed],
      links: [link],
      linkedTargets: [books],
      inView: () => false,
    });
    expect(r.counts).toEqual(counts({ skipped: 1 }));
    expect(r.writes).toEqual([]);
  });

  it.each(KINDS)('%s: Books → CRM sources are not filtered by the view', (kind) => {
    const r = run(kind, 'books_to_crm', { records: [booksRec(kind)], inView: () => false });
    expect(r.counts).toEqual(counts({ added: 1 }));
  });
});

describe('validation before writing (S9.6)', () => {
  const productTypeMaps = mapsFor('item', [{ crmField: 'Product_Kind', booksField: 'product_type' }]);

  interface Invalid {
    what: string;
    kind: Kind;
    direction: Direction;
    data: Record<string, unknown>;
    field: string;
    reason: RegExp;
    maps?: ResolvedFieldMap[];
  }
  const c2b = 'crm_to_books' as const;
  const b2c = 'books_to_crm' as const;
  const { account, contact, vendor, item } = FIXTURES;

  // prettier-ignore
  it.each<Invalid>([
    { what: 'an account currency not enabled in Books', kind: 'account', direction: c2b, data: { ...account.crm, Currency: 'GBP' }, field: 'Currency', reason: /GBP is not enabled in Books \(enabled: EUR, USD\)/ },
    { what: 'a contact currency not enabled', kind: 'contact', direction: c2b, data: { ...contact.crm, Currency: 'JPY' }, field: 'Currency', reason: /JPY/ },
    { what: 'a vendor currency not enabled', kind: 'vendor', direction: c2b, data: { ...vendor.crm, Currency: 'CHF' }, field: 'Currency', reason: /CHF/ },
    { what: 'an account without a name', kind: 'account', direction: c2b, data: { ...account.crm, Account_Name: '  ' }, field: 'Account_Name', reason: /required/ },
    { what: 'a contact without a last name', kind: 'contact', direction: c2b, data: { ...contact.crm, Last_Name: null }, field: 'Last_Name', reason: /last name is required/ },
    { what: 'a vendor without a name', kind: 'vendor', direction: c2b, data: { ...vendor.crm, Vendor_Name: '' }, field: 'Vendor_Name', reason: /required/ },
    { what: 'an item without a name', kind: 'item', direction: c2b, data: { ...item.crm, Product_Name: null }, field: 'Product_Name', reason: /required/ },
    { what: 'an item without Unit_Price', kind: 'item', direction: c2b, data: { ...item.crm, Unit_Price: null }, field: 'Unit_Price', reason: /need a rate/ },
    { what: 'an item with a negative price', kind: 'item', direction: c2b, data: { ...item.crm, Unit_Price: -1 }, field: 'Unit_Price', reason: /≥ 0/ },
    { what: 'an item with a text price', kind: 'item', direction: c2b, data: { ...item.crm, Unit_Price: '12' }, field: 'Unit_Price', reason: /number/ },
    { what: 'an item whose product type is neither Goods nor Services', kind: 'item', direction: c2b, data: { ...item.crm, Product_Kind: 'Hardware' }, field: 'Product_Kind', reason: /neither Goods nor Services/, maps: productTypeMaps },
    { what: 'a Books customer without a display name', kind: 'account', direction: b2c, data: { ...account.books, contact_name: '' }, field: 'Account_Name', reason: /required/ },
    { what: 'a Books individual without any name', kind: 'contact', direction: b2c, data: { ...contact.books, contact_name: '', first_name: 'X', last_name: '' }, field: 'Last_Name', reason: /required/ },
    { what: 'a Books vendor without a display name', kind: 'vendor', direction: b2c, data: { ...vendor.books, contact_name: null }, field: 'Vendor_Name', reason: /required/ },
    { what: 'a Books item without a name', kind: 'item', direction: b2c, data: { ...item.books, name: ' ' }, field: 'Product_Name', reason: /required/ },
  ])('$what: a failure on $field with the payload, nothing written', ({ kind, direction, data, field, reason, maps }) => {
    const id = direction === 'crm_to_books' ? FIXTURES[kind].crmId : FIXTURES[kind].booksId;
    const r = run(kind, direction, { records: [rec(id, data)], ...(maps ? { maps } : {}) });
    const failure = only(r.failures);
    expect(failure).toEqual({ recordId: id, field, reason: expect.stringMatching(reason), payload: data });
    expect(r.decisions).toEqual([{ recordId: id, outcome: 'failed', detail: `${field}: ${failure.reason}` }]);
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
    expect(r.counts).toEqual(counts({ failed: 1 }));
  });

  it.each<[Kind, string | null]>([
    ['account', 'EUR'],
    ['account', 'USD'],
    ['account', null],
    ['contact', 'EUR'],
    ['vendor', null],
  ])('%s with currency %s passes', (kind, currency) => {
    const r = run(kind, 'crm_to_books', {
      records: [crmRec(kind, { ...FIXTURES[kind].crm, Currency: currency })],
    });
    expect(r.counts).toEqual(counts({ added: 1 }));
  });

  it('an item priced 0 passes', () => {
    const r = run('item', 'crm_to_books', {
      records: [crmRec('item', { ...FIXTURES.item.crm, Unit_Price: 0 })],
    });
    expect(r.counts).toEqual(counts({ added: 1 }));
  });

  it('an invalid record does not stop the page', () => {
    const bad = rec('4150868000000224099', { ...FIXTURES.account.crm, Currency: 'GBP' });
    const r = run('account', 'crm_to_books', { records: [bad, crmRec('account')] });
    expect(r.counts).toEqual(counts({ added: 1, failed: 1 }));
    expect(only(r.failures).recordId).toBe(bad.id);
    expect(only(r.writes).id).toBe(createdRecordId(INTEGRATION, 'customer', 'books', FIXTURES.account.crmId));
  });

  it('a linked record that became invalid fails and leaves its target alone', () => {
    const { crm, books, link } = syncedPair('account');
    const changed = rec(crm.id, { ...crm.data, Currency: 'GBP' }, { modifiedTime: T1 });
    const r = run('account', 'crm_to_books', { records: [changed], links: [link], linkedTargets: [books] });
    expect(only(r.failures)).toEqual(expect.objectContaining({ recordId: crm.id, field: 'Currency' }));
    expect(r.writes).toEqual([]);
    expect(r.links).toEqual([]);
  });
});

describe.each(KINDS)('%s: linked updates and conflicts (S9.5)', (kind) => {
  const f = FIXTURES[kind];
  const crmA = `crm-${f.a.crm}-new`;
  const booksA = `books-${f.a.crm}-new`;
  const booksB = `books-${f.b.crm}-new`;

  it('a CRM-only change updates the Books record, and the next Books → CRM step sees no echo', () => {
    const { crm, books, link } = syncedPair(kind);
    const changed = rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 });
    const r = run(kind, 'crm_to_books', { records: [changed], links: [link], linkedTargets: [books] });
    expect(r.decisions).toEqual([
      { recordId: crm.id, outcome: 'updated', targetId: books.id, detail: undefined },
    ]);
    const w = only(r.writes);
    // A change of the version read: only what differs from it is written, and only on that version.
    expect(w).toEqual({
      id: books.id,
      data: setField(books.data, f.a.books, crmA),
      expectedModifiedTime: books.modifiedTime,
      base: books.data,
    });
    const next = only(r.links);
    expect(next.lastSynced.crm[f.a.crm]).toBe(crmA);
    expect(next.lastSynced.books[f.a.crm]).toBe(crmA);

    const back = run(kind, 'books_to_crm', {
      records: [rec(books.id, w.data, { modifiedTime: T1 })],
      links: [asLink(next)],
      linkedTargets: [changed],
    });
    expect(back.counts).toEqual(counts({ unchanged: 1 }));
    expect(back.writes).toEqual([]);
  });

  it('a Books-only change updates the CRM record in the Books → CRM step', () => {
    const { crm, books, link } = syncedPair(kind);
    const changed = rec(books.id, setField(books.data, f.b.books, booksB), { modifiedTime: T1 });
    const r = run(kind, 'books_to_crm', { records: [changed], links: [link], linkedTargets: [crm] });
    expect(r.counts).toEqual(counts({ updated: 1 }));
    expect(only(r.writes)).toEqual({
      id: crm.id,
      data: setField(crm.data, f.b.crm, booksB),
      expectedModifiedTime: crm.modifiedTime,
      base: crm.data,
    });
  });

  it('CRM → Books leaves a field changed only in Books as Books has it', () => {
    const { crm, books, link } = syncedPair(kind);
    const crmNow = rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 });
    const booksNow = rec(books.id, setField(books.data, f.b.books, booksB), { modifiedTime: T1 });
    const r = run(kind, 'crm_to_books', { records: [crmNow], links: [link], linkedTargets: [booksNow] });
    const w = only(r.writes);
    expect(w.data[f.a.books]).toBe(crmA);
    expect(w.data[f.b.books]).toBe(booksB);
    // The link keeps the old base of the field still apart, so the Books → CRM step can see Books changed it.
    const next = only(r.links);
    expect(next.lastSynced.crm[f.b.crm]).toBe(link.lastSynced.crm[f.b.crm]);
    expect(next.lastSynced.books[f.b.crm]).toBe(link.lastSynced.books[f.b.crm]);
  });

  // Expected (issue 4 §8, S9.5): a field changed only in Books is left alone by the CRM → Books step and picked
  // up by the Books → CRM step that follows it in the same run.
  it('… and the Books → CRM step that follows picks that field up', () => {
    const { crm, books, link } = syncedPair(kind);
    const crmNow = rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 });
    const booksNow = rec(books.id, setField(books.data, f.b.books, booksB), { modifiedTime: T1 });
    const step1 = run(kind, 'crm_to_books', { records: [crmNow], links: [link], linkedTargets: [booksNow] });
    const booksAfter = rec(books.id, only(step1.writes).data, { modifiedTime: T2 });
    const step2 = run(kind, 'books_to_crm', {
      records: [booksAfter],
      links: [asLink(only(step1.links))],
      linkedTargets: [crmNow],
    });
    expect(step2.counts).toEqual(counts({ updated: 1 }));
    expect(only(step2.writes).data[f.b.crm]).toBe(booksB);
  });

  it('a run straight after a run writes nothing', () => {
    const maps = ownedMaps(kind, 'books');
    const { crm, books, link } = syncedPair(kind, maps);
    const changed: PairState = {
      crm: rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 }),
      books: rec(books.id, setField(setField(books.data, f.a.books, booksA), f.b.books, booksB), {
        modifiedTime: T1,
      }),
      link,
    };
    const first = runBothWays(kind, maps, changed, T2);
    expect(runBothWays(kind, maps, first.state, T2).writes).toBe(0);
  });

  // Expected (issue 4 §8): one run both ways moves the CRM-only, the Books-only and the Books-owned conflicting
  // change, so that both sides end with the same values. Actual: the run writes nothing at all (the conflict
  // goes to Books, the Books → CRM step short-circuits on the link hash, see above): the sides stay apart.
  it('one run both ways leaves both sides with the same values', () => {
    const maps = ownedMaps(kind, 'books');
    const { crm, books, link } = syncedPair(kind, maps);
    const changed: PairState = {
      crm: rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 }),
      books: rec(books.id, setField(setField(books.data, f.a.books, booksA), f.b.books, booksB), {
        modifiedTime: T1,
      }),
      link,
    };
    const { state } = runBothWays(kind, maps, changed, T2);
    const crmNow = valuesOf(kind, 'crm', state.crm.data, maps);
    expect(crmNow).toEqual(valuesOf(kind, 'books', state.books.data, maps));
    expect([crmNow[f.a.crm], crmNow[f.b.crm]]).toEqual([booksA, booksB]);
  });

  it('both sides changed to the same value: nothing written, the link records the new common base', () => {
    const { crm, books, link } = syncedPair(kind);
    const crmNow = rec(crm.id, setField(crm.data, f.a.crm, 'same'), { modifiedTime: T1 });
    const booksNow = rec(books.id, setField(books.data, f.a.books, 'same'), { modifiedTime: T1 });
    const r = run(kind, 'crm_to_books', { records: [crmNow], links: [link], linkedTargets: [booksNow] });
    expect(r.decisions).toEqual([
      { recordId: crm.id, outcome: 'unchanged', targetId: books.id, detail: undefined },
    ]);
    expect(r.writes).toEqual([]);
    const next = only(r.links);
    expect([next.lastSynced.crm[f.a.crm], next.lastSynced.books[f.a.crm]]).toEqual(['same', 'same']);
  });

  describe.each(DIRECTIONS)('a conflict on one field, decided in %s', (direction) => {
    const toBooks = direction === 'crm_to_books';
    /** Both sides changed field `a` differently; returns the step's result. */
    const conflict = (owner: FieldOwner, times: { crm: string; books: string } = { crm: T1, books: T1 }) => {
      const maps = ownedMaps(kind, owner);
      const { crm, books, link } = syncedPair(kind, maps);
      const crmNow = rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: times.crm });
      const booksNow = rec(books.id, setField(books.data, f.a.books, booksA), { modifiedTime: times.books });
      return run(kind, direction, {
        maps,
        records: [toBooks ? crmNow : booksNow],
        links: [link],
        linkedTargets: [toBooks ? booksNow : crmNow],
      });
    };
    const wins = (r: DecidePageResult, winner: 'crm' | 'books', rule: FieldOwner) => {
      const pushes = (winner === 'crm') === toBooks;
      const d = only(r.decisions);
      expect(d.detail).toBe(`conflicts: ${f.a.crm} → ${winner} (${rule})`);
      if (pushes) {
        expect(d.outcome).toBe('updated');
        expect(only(r.writes).data[toBooks ? f.a.books : f.a.crm]).toBe(winner === 'crm' ? crmA : booksA);
      } else {
        expect(d.outcome).toBe('unchanged');
        expect(r.writes).toEqual([]);
      }
    };

    it('owner crm: the CRM value wins', () => wins(conflict('crm'), 'crm', 'crm'));
    it('owner books: the Books value wins', () => wins(conflict('books'), 'books', 'books'));
    it('latest, CRM changed later: the CRM value wins', () =>
      wins(conflict('latest', { crm: T2, books: T1 }), 'crm', 'latest'));
    it('latest, Books changed later: the Books value wins', () =>
      wins(conflict('latest', { crm: T1, books: T2 }), 'books', 'latest'));
    it('latest, a tie: the CRM wins', () =>
      wins(conflict('latest', { crm: T1, books: T1 }), 'crm', 'latest'));
  });

  // Expected (S9.5): a conflict the CRM → Books step leaves to Books (owner books) is moved by the Books → CRM
  // step of the same run, so both sides end equal.
  it('owner books: the Books → CRM step after CRM → Books moves the winning Books value', () => {
    const maps = ownedMaps(kind, 'books');
    const { crm, books, link } = syncedPair(kind, maps);
    const crmNow = rec(crm.id, setField(crm.data, f.a.crm, crmA), { modifiedTime: T1 });
    const booksNow = rec(books.id, setField(books.data, f.a.books, booksA), { modifiedTime: T1 });
    const step1 = run(kind, 'crm_to_books', {
      maps,
      records: [crmNow],
      links: [link],
      linkedTargets: [booksNow],
    });
    expect(step1.writes).toEqual([]);
    const step2 = run(kind, 'books_to_crm', {
      maps,
      records: [booksNow],
      links: step1.links.length ? [asLink(only(step1.links))] : [link],
      linkedTargets: [crmNow],
    });
    expect(only(step2.writes).data[f.a.crm]).toBe(booksA);
  });
});

describe('deletes are not propagated (S3.8)', () => {
  it.each(KINDS.flatMap((k) => DIRECTIONS.map((d) => [k, d] as const)))(
    '%s %s: a deleted linked source marks its link, counted deleted, nothing written',
    (kind, direction) => {
      const { crm, books, link } = syncedPair(kind);
      const toBooks = direction === 'crm_to_books';
      const source = { ...(toBooks ? crm : books), deleted: true };
      const r = run(kind, direction, {
        records: [source],
        links: [link],
        linkedTargets: [toBooks ? books : crm],
      });
      expect(r.deletedLinks).toEqual([source.id]);
      expect(r.decisions).toEqual([
        { recordId: source.id, outcome: 'deleted', detail: 'deleted at the source; not propagated' },
      ]);
      expect(r.counts).toEqual(counts({ deleted: 1 }));
      expect(r.writes).toEqual([]);
      expect(r.links).toEqual([]);
      expect(r.failures).toEqual([]);
    },
  );

  it('a link already marked is not marked again', () => {
    const { crm, books, link } = syncedPair('account');
    const r = run('account', 'crm_to_books', {
      records: [{ ...crm, deleted: true }],
      links: [{ ...link, deletedIn: 'crm' }],
      linkedTargets: [books],
    });
    expect(r.deletedLinks).toEqual([]);
    expect(r.writes).toEqual([]);
  });

  it('a deleted source never linked is skipped, with nothing to mark', () => {
    const r = run('vendor', 'crm_to_books', { records: [{ ...crmRec('vendor'), deleted: true }] });
    expect(r.counts).toEqual(counts({ skipped: 1 }));
    expect(r.deletedLinks).toEqual([]);
    expect(r.writes).toEqual([]);
  });

  it('a deleted source is invalid data no more: no failure for it', () => {
    const r = run('item', 'crm_to_books', {
      records: [{ ...crmRec('item', { ...FIXTURES.item.crm, Unit_Price: null }), deleted: true }],
    });
    expect(r.failures).toEqual([]);
  });

  it.each(KINDS.flatMap((k) => DIRECTIONS.map((d) => [k, d] as const)))(
    '%s %s: a linked target that was deleted is not recreated',
    (kind, direction) => {
      const { crm, books, link } = syncedPair(kind);
      const toBooks = direction === 'crm_to_books';
      const source = toBooks
        ? rec(crm.id, setField(crm.data, FIXTURES[kind].a.crm, 'changed'), { modifiedTime: T1 })
        : rec(books.id, setField(books.data, FIXTURES[kind].a.books, 'changed'), { modifiedTime: T1 });
      const target = { ...(toBooks ? books : crm), deleted: true };
      for (const linkedTargets of [[target], []]) {
        const r = run(kind, direction, { records: [source], links: [link], linkedTargets });
        expect(r.decisions).toEqual([
          expect.objectContaining({ recordId: source.id, outcome: 'skipped', targetId: target.id }),
        ]);
        expect(r.writes).toEqual([]);
        expect(r.links).toEqual([]);
      }
    },
  );
});

describe('Books → CRM takes only the Books records of the kind', () => {
  const vendor = rec('460000000030001', { ...FIXTURES.vendor.books, contact_name: 'V' });
  const individual = rec('460000000030002', { ...FIXTURES.contact.books, contact_name: 'I J' });
  const business = rec('460000000030003', { ...FIXTURES.account.books, contact_name: 'B' });
  const untyped = rec('460000000030004', {
    contact_type: 'customer',
    contact_name: 'Default Business',
    company_name: 'Default Business',
  });

  it.each<[Kind, PageRecord[]]>([
    ['account', [business, untyped]],
    ['contact', [individual]],
    ['vendor', [vendor]],
  ])('%s', (kind, inScope) => {
    const r = run(kind, 'books_to_crm', { records: [vendor, individual, business, untyped] });
    expect(r.decisions.map((d) => d.recordId)).toEqual(inScope.map((x) => x.id));
    expect(r.counts).toEqual(counts({ added: inScope.length }));
    expect(r.writes).toHaveLength(inScope.length);
  });
});

describe('Individuals (contact kind)', () => {
  it('a CRM contact becomes an Individual named "First Last"', () => {
    const w = only(run('contact', 'crm_to_books', { records: [crmRec('contact')] }).writes);
    expect(w.data).toEqual(
      expect.objectContaining({
        contact_type: 'customer',
        customer_sub_type: 'individual',
        contact_name: 'Jane Doe',
        first_name: 'Jane',
        last_name: 'Doe',
      }),
    );
  });

  it('a CRM contact with a last name only is named by it', () => {
    const data = { ...FIXTURES.contact.crm, First_Name: null, Last_Name: 'Prince' };
    const w = only(run('contact', 'crm_to_books', { records: [crmRec('contact', data)] }).writes);
    expect(w.data.contact_name).toBe('Prince');
    expect(w.data).not.toHaveProperty('first_name');
  });

  it.each<[string, string | null, string]>([
    ['Mary Ann Smith', 'Mary Ann', 'Smith'],
    ['  Cher ', null, 'Cher'],
  ])('a Books Individual named only %j gives the CRM First_Name %j and Last_Name %j', (name, first, last) => {
    const source = rec('460000000031001', {
      contact_type: 'customer',
      customer_sub_type: 'individual',
      contact_name: name,
    });
    const r = run('contact', 'books_to_crm', { records: [source] });
    const w = only(r.writes);
    expect([w.data.First_Name, w.data.Last_Name]).toEqual([first, last]);
    // Read back from the CRM, the contact is unchanged: no echo of the derived names.
    const back = run('contact', 'crm_to_books', {
      records: [rec(w.id, w.data)],
      links: [asLink(only(r.links))],
      linkedTargets: [source],
    });
    expect(back.counts).toEqual(counts({ unchanged: 1 }));
  });

  it('a Books Individual with its own first and last names keeps them', () => {
    const w = only(run('contact', 'books_to_crm', { records: [booksRec('contact')] }).writes);
    expect([w.data.First_Name, w.data.Last_Name]).toEqual(['Mary', 'Major']);
  });

  it('a CRM first-name change renames the Individual', () => {
    const { crm, books, link } = syncedPair('contact');
    const changed = rec(crm.id, { ...crm.data, First_Name: 'Janet' }, { modifiedTime: T1 });
    const r = run('contact', 'crm_to_books', { records: [changed], links: [link], linkedTargets: [books] });
    expect(only(r.writes).data).toEqual(
      expect.objectContaining({ first_name: 'Janet', contact_name: 'Janet Doe' }),
    );
  });

  // Expected: a Books Individual's display name that differs from "First Last" (Books lets the user set it, e.g.
  // "Dr. Jane Doe") is left alone by a CRM change that touches neither name part.
  it('a CRM change to another field leaves the Books display name alone', () => {
    const individual = rec('460000000031003', {
      ...FIXTURES.contact.booksNamed('Jane Doe'),
      contact_name: 'Dr. Jane Doe',
    });
    const created = run('contact', 'books_to_crm', { records: [individual] });
    const crm = only(created.writes);
    const changed = rec(crm.id, { ...crm.data, Email: 'jane@new.example' }, { modifiedTime: T1 });
    const r = run('contact', 'crm_to_books', {
      records: [changed],
      links: [asLink(only(created.links))],
      linkedTargets: [individual],
    });
    const w = only(r.writes);
    expect(w.data.email).toBe('jane@new.example');
    expect(w.data.contact_name).toBe('Dr. Jane Doe');
  });

  // Expected: an Individual created in Books with only a display name ("Jane Doe") and synced to the CRM as
  // First_Name "Jane", Last_Name "Doe" is renamed "Jane Smith" in Books when its CRM last name becomes "Smith".
  it('a CRM last-name change keeps the first name of an Individual that had only a display name', () => {
    const booksOnly = rec('460000000031002', {
      contact_type: 'customer',
      customer_sub_type: 'individual',
      contact_name: 'Jane Doe',
    });
    const created = run('contact', 'books_to_crm', { records: [booksOnly] });
    const crm = only(created.writes);
    const changed = rec(crm.id, { ...crm.data, Last_Name: 'Smith' }, { modifiedTime: T1 });
    const r = run('contact', 'crm_to_books', {
      records: [changed],
      links: [asLink(only(created.links))],
      linkedTargets: [booksOnly],
    });
    expect(only(r.writes).data.contact_name).toBe('Jane Smith');
  });
});

describe('counts', () => {
  it('add up to the number of in-scope records, each decided once', () => {
    const kind: Kind = 'account';
    const { crm, books, link } = syncedPair(kind);
    const updatedLinked = rec(crm.id, { ...crm.data, Phone: '+1 999' }, { modifiedTime: T1 });
    // A second linked pair, unchanged since it was synced.
    const otherCrm = rec('4150868000000224010', {
      ...FIXTURES.account.crmNamed('Second Account'),
      id: '4150868000000224010',
    });
    const otherFirst = run(kind, 'crm_to_books', { records: [otherCrm] });
    const otherLink = asLink(only(otherFirst.links));
    const otherBooks = rec(otherLink.booksId, only(otherFirst.writes).data);
    const records = [
      updatedLinked,
      otherCrm,
      rec('4150868000000224011', { ...FIXTURES.account.crmNamed('New One'), id: '4150868000000224011' }),
      rec('4150868000000224012', { ...FIXTURES.account.crm, Currency: 'GBP' }),
      rec('4150868000000224013', { ...FIXTURES.account.crmNamed('Out Of View') }),
      rec('4150868000000224014', FIXTURES.account.crm, { deleted: true }),
      rec('4150868000000224015', { ...FIXTURES.account.crmNamed('Dupe Name') }),
    ];
    const r = run(kind, 'crm_to_books', {
      records,
      links: [link, otherLink, { ...link, crmId: '4150868000000224014', booksId: '460000000055555' }],
      linkedTargets: [books, otherBooks],
      inView: (d) => d.Account_Name !== 'Out Of View',
      candidates: [rec('460000000077001', FIXTURES.account.booksNamed('dupe name'))],
      duplicatePolicy: 'skip',
    });
    expect(r.counts).toEqual({
      added: 1,
      matched: 0,
      updated: 1,
      unchanged: 1,
      skipped: 2,
      failed: 1,
      deleted: 1,
    });
    expect(r.decisions.map((d) => d.recordId)).toEqual(records.map((x) => x.id));
    const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(records.length);
  });

  it('records left to another step (belongsToStep) are not decided nor counted', () => {
    const orphan = crmRec('contact');
    const withAccount = rec('4150868000000231002', {
      ...FIXTURES.contact.crmNamed('Ann Lee'),
      id: '4150868000000231002',
      Account_Name: { id: '4150868000000224005', name: 'Zylker Traders' },
    });
    const r = run('contact', 'crm_to_books', {
      records: [orphan, withAccount],
      belongsToStep: (d) => d.Account_Name == null,
    });
    expect(r.decisions.map((d) => d.recordId)).toEqual([orphan.id]);
    expect(r.counts).toEqual(counts({ added: 1 }));
  });

  it('out-of-kind Books records are not counted', () => {
    const r = run('vendor', 'books_to_crm', {
      records: [booksRec('vendor'), booksRec('account'), booksRec('contact')],
    });
    const total = Object.values(r.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(1);
    expect(r.decisions).toHaveLength(1);
  });
});

describe('link values', () => {
  it.each(KINDS)('%s: a new link holds equal bases and the hashes of both sides', (kind) => {
    const source = crmRec(kind);
    const r = run(kind, 'crm_to_books', { records: [source] });
    const link = only(r.links);
    const values: FieldValues = valuesOf(kind, 'crm', source.data);
    expect(link.lastSynced.crm).toEqual(values);
    expect(link.contentHash.crm).toMatch(/^[0-9a-f]{16}$/);
    expect(link.contentHash.books).toBe(link.contentHash.crm);
  });
});
