import { resolveFieldMaps } from '../../../../domain/sync/field-maps';
import { contentHash } from '../../../../domain/hash';
import {
  decideContactPersons,
  decidePersonContacts,
  type DecideContactPersonsInput,
} from '../../../../domain/sync/contact-persons';
import type { LinkState, PageRecord } from '../../../../domain/sync/decide';

const maps = resolveFieldMaps('contact_person', [], []);
const INTEGRATION = 'crm-1/books-1/production';

function contact(id: string, accountId: string | null, last = 'Lovelace', extra: object = {}): PageRecord {
  return {
    id,
    modifiedTime: '2026-11-01T00:00:00.000Z',
    deleted: false,
    data: {
      id,
      Last_Name: last,
      First_Name: 'Ada',
      Account_Name: accountId ? { id: accountId, name: accountId } : null,
      ...extra,
    },
  };
}

function customer(id: string, persons: Record<string, unknown>[]): PageRecord {
  return {
    id,
    modifiedTime: '2026-11-01T00:00:00.000Z',
    deleted: false,
    data: { contact_id: id, contact_name: id, customer_sub_type: 'business', contact_persons: persons },
  };
}

/** The link a contact has after its person was written as `person` to customer `parent`. */
function personLink(
  crmId: string,
  booksId: string,
  parent: string | undefined,
  last = 'Lovelace',
): LinkState {
  const values = { Last_Name: last, First_Name: 'Ada', Salutation: null, Email: null, Phone: null };
  const full = Object.fromEntries(maps.map((m) => [m.crmField, null]));
  Object.assign(full, values);
  return {
    crmId,
    booksId,
    lastSynced: { crm: full, books: full },
    contentHash: { crm: contentHash(full), books: contentHash(full) },
    ...(parent === undefined ? {} : { parentBooksId: parent }),
  };
}

function decide(over: Partial<DecideContactPersonsInput>) {
  return decideContactPersons({
    integrationId: INTEGRATION,
    maps,
    records: [],
    inView: () => true,
    includeOrphans: false,
    accountLinks: [
      { crmId: 'acc-a', booksId: 'cust-a' },
      { crmId: 'acc-b', booksId: 'cust-b' },
    ],
    personLinks: [],
    customers: [],
    ...over,
  });
}

const personsOf = (result: ReturnType<typeof decide>, id: string) =>
  (result.writes.find((w) => w.id === id)?.data.contact_persons ?? []) as Record<string, unknown>[];

describe('decideContactPersons', () => {
  it("adds a new contact as its account's customer's person, primary when the customer has none", () => {
    const result = decide({ records: [contact('c1', 'acc-a')], customers: [customer('cust-a', [])] });
    expect(result.counts).toMatchObject({ added: 1, updated: 0 });
    const [person] = personsOf(result, 'cust-a');
    expect(person).toMatchObject({ last_name: 'Lovelace', first_name: 'Ada', is_primary_contact: true });
    expect(result.links).toEqual([
      expect.objectContaining({ crmId: 'c1', booksId: person!.contact_person_id, parentBooksId: 'cust-a' }),
    ]);
  });

  it('writes nothing for a contact whose person is in place and unchanged', () => {
    const result = decide({
      records: [contact('c1', 'acc-a')],
      personLinks: [personLink('c1', 'p1', 'cust-a')],
      customers: [customer('cust-a', [{ contact_person_id: 'p1', last_name: 'Lovelace' }])],
    });
    expect(result.counts).toMatchObject({ unchanged: 1, updated: 0, added: 0 });
    expect(result.writes).toEqual([]);
    expect(result.links).toEqual([]);
  });

  it('counts a person written with its new customer earlier in the same run as added, not unchanged', () => {
    const inPlace = {
      records: [contact('c1', 'acc-a')],
      customers: [customer('cust-a', [{ contact_person_id: 'p1', last_name: 'Lovelace' }])],
      runStartedAt: '2026-11-02T10:00:00.000Z',
    };
    const linkedThisRun = { ...personLink('c1', 'p1', 'cust-a'), createdTime: '2026-11-02T10:00:05.000Z' };
    const earlier = { ...personLink('c1', 'p1', 'cust-a'), createdTime: '2026-11-01T09:00:00.000Z' };
    const now = decide({ ...inPlace, personLinks: [linkedThisRun] });
    expect(now.counts).toMatchObject({ added: 1, unchanged: 0 });
    expect(now.writes).toEqual([]);
    expect(decide({ ...inPlace, personLinks: [earlier] }).counts).toMatchObject({ added: 0, unchanged: 1 });
  });

  it('moves the person of a contact moved to another account: out of the old customer, into the new', () => {
    const result = decide({
      records: [contact('c1', 'acc-b')],
      personLinks: [personLink('c1', 'p1', 'cust-a')],
      customers: [
        customer('cust-a', [
          { contact_person_id: 'p1', last_name: 'Lovelace', is_primary_contact: true },
          { contact_person_id: 'p2', last_name: 'Hopper', is_primary_contact: false },
        ]),
        customer('cust-b', [{ contact_person_id: 'p3', last_name: 'Turing', is_primary_contact: true }]),
      ],
    });
    expect(result.counts).toMatchObject({ updated: 1, added: 0 });
    // The old customer keeps the other person, who takes over as primary.
    expect(personsOf(result, 'cust-a')).toEqual([
      { contact_person_id: 'p2', last_name: 'Hopper', is_primary_contact: true },
    ]);
    // The new one gains the person under the same id, not as its primary.
    expect(personsOf(result, 'cust-b').map((p) => [p.contact_person_id, p.is_primary_contact])).toEqual([
      ['p3', true],
      ['p1', false],
    ]);
    expect(result.links).toEqual([expect.objectContaining({ booksId: 'p1', parentBooksId: 'cust-b' })]);
    expect(result.decisions[0]?.detail).toBe('moved from customer cust-a to cust-b');
  });

  it('takes the person of a contact taken off its account out of the old customer, orphans or not', () => {
    for (const includeOrphans of [false, true]) {
      const result = decide({
        includeOrphans,
        records: [contact('c1', null)],
        personLinks: [personLink('c1', 'p1', 'cust-a')],
        customers: [customer('cust-a', [{ contact_person_id: 'p1', last_name: 'Lovelace' }])],
      });
      expect(result.counts).toMatchObject({ updated: 1 });
      expect(personsOf(result, 'cust-a')).toEqual([]);
      // The link stays (the person's id is kept for a return), with no customer holding it.
      expect(result.links).toEqual([expect.objectContaining({ crmId: 'c1', booksId: 'p1' })]);
      expect(result.links[0]).not.toHaveProperty('parentBooksId');
    }
  });

  it('a link from before customers were recorded learns its customer, changing no customer', () => {
    const result = decide({
      records: [contact('c1', 'acc-a')],
      personLinks: [personLink('c1', 'p1', undefined)],
      customers: [
        customer('cust-a', [{ contact_person_id: 'p1', last_name: 'Lovelace', first_name: 'Ada' }]),
      ],
    });
    expect(result.counts).toMatchObject({ unchanged: 1, updated: 0 });
    expect(result.links).toEqual([expect.objectContaining({ booksId: 'p1', parentBooksId: 'cust-a' })]);
    expect(result.writes).toEqual([]);
  });

  it('two contacts moving between the same customers in one page leave both customers right', () => {
    const result = decide({
      records: [contact('c1', 'acc-b'), contact('c2', 'acc-a', 'Hopper')],
      personLinks: [personLink('c1', 'p1', 'cust-a'), personLink('c2', 'p2', 'cust-b', 'Hopper')],
      customers: [
        customer('cust-a', [{ contact_person_id: 'p1', last_name: 'Lovelace', is_primary_contact: true }]),
        customer('cust-b', [{ contact_person_id: 'p2', last_name: 'Hopper', is_primary_contact: true }]),
      ],
    });
    expect(personsOf(result, 'cust-a').map((p) => [p.contact_person_id, p.is_primary_contact])).toEqual([
      ['p2', true],
    ]);
    expect(personsOf(result, 'cust-b').map((p) => [p.contact_person_id, p.is_primary_contact])).toEqual([
      ['p1', true],
    ]);
  });
});

describe('decidePersonContacts (Books → CRM)', () => {
  const business = (id: string, persons: Record<string, unknown>[], extra: object = {}): PageRecord => ({
    ...customer(id, persons),
    data: { ...customer(id, persons).data, contact_type: 'customer', ...extra },
  });
  const crmContact = (id: string, data: object = {}): PageRecord => ({
    id,
    modifiedTime: '2026-11-01T00:00:00.000Z',
    deleted: false,
    data: {
      id,
      Last_Name: 'Lovelace',
      First_Name: 'Ada',
      Account_Name: { id: 'acc-a', name: 'cust-a' },
      ...data,
    },
  });
  const books = (over: Partial<Parameters<typeof decidePersonContacts>[0]>) =>
    decidePersonContacts({
      integrationId: INTEGRATION,
      maps,
      records: [],
      accountLinks: [
        { crmId: 'acc-a', booksId: 'cust-a' },
        { crmId: 'acc-b', booksId: 'cust-b' },
      ],
      personLinks: [],
      contacts: [],
      ...over,
    });

  it("creates a CRM contact under the customer's account for a new person, with an id derived from it", () => {
    const result = books({
      records: [business('cust-a', [{ contact_person_id: 'p9', first_name: 'Grace', last_name: 'Hopper' }])],
    });
    expect(result.counts).toMatchObject({ added: 1 });
    const [write] = result.writes;
    expect(write?.data).toMatchObject({
      Last_Name: 'Hopper',
      First_Name: 'Grace',
      Account_Name: { id: 'acc-a', name: 'cust-a' },
    });
    expect(write?.id).toBe(
      books({ records: [business('cust-a', [{ contact_person_id: 'p9', last_name: 'X' }])] }).writes[0]?.id,
    );
    expect(result.links).toEqual([
      expect.objectContaining({ crmId: write?.id, booksId: 'p9', parentBooksId: 'cust-a' }),
    ]);
  });

  it('leaves a person the last sync wrote alone (no echo), and sends only the fields Books changed', () => {
    const link = personLink('c1', 'p1', 'cust-a');
    const unchanged = books({
      records: [business('cust-a', [{ contact_person_id: 'p1', first_name: 'Ada', last_name: 'Lovelace' }])],
      personLinks: [link],
      contacts: [crmContact('c1')],
    });
    expect(unchanged.counts).toMatchObject({ unchanged: 1 });
    expect(unchanged.writes).toEqual([]);

    // Books changed the email; the CRM changed the phone meanwhile: the phone stays.
    const changed = books({
      records: [
        business('cust-a', [
          { contact_person_id: 'p1', first_name: 'Ada', last_name: 'Lovelace', email: 'ada@example.test' },
        ]),
      ],
      personLinks: [link],
      contacts: [crmContact('c1', { Phone: '+1 555 0101' })],
    });
    expect(changed.counts).toMatchObject({ updated: 1 });
    expect(changed.writes[0]?.data).toMatchObject({ Email: 'ada@example.test', Phone: '+1 555 0101' });
  });

  it('moves the CRM contact to the account of the customer its person moved to', () => {
    const result = books({
      records: [business('cust-b', [{ contact_person_id: 'p1', first_name: 'Ada', last_name: 'Lovelace' }])],
      personLinks: [personLink('c1', 'p1', 'cust-a')],
      contacts: [crmContact('c1')],
    });
    expect(result.writes[0]?.data.Account_Name).toEqual({ id: 'acc-b', name: 'cust-b' });
    expect(result.links[0]?.parentBooksId).toBe('cust-b');
  });

  it('fails a new person without a last name with the field and the reason, and skips unsynced customers', () => {
    const result = books({
      records: [
        business('cust-a', [{ contact_person_id: 'p1', first_name: 'Cher' }]),
        business('cust-x', [{ contact_person_id: 'p2', last_name: 'Nobody' }]),
        business('ind-1', [{ contact_person_id: 'p3', last_name: 'Solo' }], {
          customer_sub_type: 'individual',
        }),
      ],
    });
    expect(result.counts).toMatchObject({ failed: 1, skipped: 1, added: 0 });
    expect(result.failures).toEqual([
      expect.objectContaining({ recordId: 'cust-a', field: 'contact_persons.p1.last_name' }),
    ]);
    expect(result.writes).toEqual([]);
  });
});
