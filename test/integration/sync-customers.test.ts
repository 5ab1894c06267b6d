import { createSyncBench, totals, type SyncBench } from './sync-harness';

/** Customers (S2.1), extent (S2.2), duplicates (S2.3) and idempotence, asserted on the records in both stores. */

const account = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  Account_Name: name,
  Phone: '+1 555 0100',
  Website: 'https://example.test',
  Billing_Street: '1 Main St',
  Billing_City: 'Springfield',
  Billing_Code: '12345',
  Billing_Country: 'USA',
  Currency: 'USD',
  ...extra,
});

const contact = (
  id: string,
  first: string,
  last: string,
  accountId?: string,
  extra: Record<string, unknown> = {},
) => ({
  id,
  First_Name: first,
  Last_Name: last,
  Email: `${first.toLowerCase()}.${last.toLowerCase()}@example.test`,
  Mailing_City: 'Shelbyville',
  ...(accountId && { Account_Name: { id: accountId, name: `acc ${accountId}` } }),
  ...extra,
});

const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));

describe('customer sync on the real servers', () => {
  let bench: SyncBench;
  afterEach(async () => {
    await bench?.close();
  });

  it('Accounts → Business customers with the mapped fields, and a second run writes nothing', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts' } });
    await bench
      .crm('Accounts')
      .put([account('a1', 'Acme Corp'), account('a2', 'Globex', { Currency: 'EUR' })]);
    await bench.crm('Contacts').put([contact('c1', 'Ann', 'Lee', 'a1')]);

    const first = await bench.sync();
    expect(first.status).toBe('completed');
    expect(totals(first)).toMatchObject({ added: 2, failed: 0 });

    const customers = await bench.books('contacts').all();
    expect(customers).toHaveLength(2); // CRM contacts are not synced in Accounts mode
    const acme = customers.find((c) => c.data.contact_name === 'Acme Corp')!;
    expect(acme.data).toMatchObject({
      contact_type: 'customer',
      customer_sub_type: 'business',
      company_name: 'Acme Corp',
      phone: '+1 555 0100',
      website: 'https://example.test',
      currency_code: 'USD',
      billing_address: { address: '1 Main St', city: 'Springfield', zip: '12345', country: 'USA' },
    });
    expect(customers.find((c) => c.data.contact_name === 'Globex')?.data.currency_code).toBe('EUR');
    const links = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'customer', ['a1', 'a2']);
    expect(links.map((l) => l.booksId).sort()).toEqual(customers.map((c) => c.id).sort());

    const before = byId(await bench.books('contacts').all());
    const second = await bench.sync();
    expect(totals(second)).toMatchObject({ added: 0, updated: 0, failed: 0 });
    const after = await bench.books('contacts').all();
    for (const c of after) expect(c.modifiedTime).toEqual(before.get(c.id)?.modifiedTime);
  });

  it('Contacts → Individual customers named "First Last"', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'contacts' } });
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);
    await bench.crm('Contacts').put([contact('c1', 'Ann', 'Lee', 'a1'), contact('c2', 'Bo', 'Ng')]);

    const run = await bench.sync();
    expect(totals(run)).toMatchObject({ added: 2 });
    const customers = await bench.books('contacts').all();
    expect(customers.map((c) => [c.data.contact_name, c.data.customer_sub_type]).sort()).toEqual([
      ['Ann Lee', 'individual'],
      ['Bo Ng', 'individual'],
    ]);
    expect(customers.find((c) => c.data.contact_name === 'Ann Lee')?.data).toMatchObject({
      first_name: 'Ann',
      last_name: 'Lee',
      email: 'ann.lee@example.test',
      billing_address: { city: 'Shelbyville' },
    });
  });

  it('Accounts and their Contacts: contact persons, orphans skipped or made Individuals', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts_and_contacts', includeOrphanContacts: false } });
    await bench.crm('Accounts').put([account('a1', 'Acme Corp'), account('a2', 'Globex')]);
    await bench
      .crm('Contacts')
      .put([
        contact('c1', 'Ann', 'Lee', 'a1', { Title: 'CFO' }),
        contact('c2', 'Raj', 'Patel', 'a1'),
        contact('c3', 'Mia', 'Wong', 'a2'),
        contact('c4', 'Orphan', 'One'),
      ]);

    const run = await bench.sync();
    expect(run.status).toBe('completed');
    let customers = await bench.books('contacts').all();
    expect(customers).toHaveLength(2);
    const acme = customers.find((c) => c.data.contact_name === 'Acme Corp')!;
    const persons = acme.data.contact_persons as Record<string, unknown>[];
    expect(persons.map((p) => [p.first_name, p.last_name, p.designation ?? null]).sort()).toEqual([
      ['Ann', 'Lee', 'CFO'],
      ['Raj', 'Patel', null],
    ]);
    expect(persons.filter((p) => p.is_primary_contact === true)).toHaveLength(1);
    expect(run.counts.customers?.crm_to_books).toMatchObject({ added: 5, skipped: 1 }); // 2 accounts, 3 persons, 1 orphan

    // Now include the orphans: the orphan becomes an Individual customer; nothing else changes.
    await bench.configure({ customers: { module: 'accounts_and_contacts', includeOrphanContacts: true } });
    await bench.crm('Contacts').put([contact('c4', 'Orphan', 'One', undefined, { Phone: '+1 555 0199' })]);
    const second = await bench.sync();
    customers = await bench.books('contacts').all();
    expect(customers).toHaveLength(3);
    expect(customers.find((c) => c.data.contact_name === 'Orphan One')?.data).toMatchObject({
      customer_sub_type: 'individual',
      phone: '+1 555 0199',
    });
    expect(totals(second)).toMatchObject({ added: 1, updated: 0 });
  });

  it('Accounts and their Contacts: a contact moved to another account moves its contact person', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts_and_contacts', includeOrphanContacts: true } });
    await bench.crm('Accounts').put([account('a1', 'Acme Corp'), account('a2', 'Globex')]);
    await bench
      .crm('Contacts')
      .put([
        contact('c1', 'Ann', 'Lee', 'a1'),
        contact('c2', 'Raj', 'Patel', 'a1'),
        contact('c3', 'Mia', 'Wong', 'a2'),
      ]);
    await bench.sync();
    const personIds = async () => {
      const customers = await bench.books('contacts').all();
      const of = (name: string) =>
        (
          (customers.find((c) => c.data.contact_name === name)?.data.contact_persons ?? []) as Record<
            string,
            unknown
          >[]
        )
          .map((p) => `${String(p.last_name)}${p.is_primary_contact === true ? '*' : ''}`)
          .sort();
      return { acme: of('Acme Corp'), globex: of('Globex'), customers: customers.length };
    };
    const before = await personIds();
    expect(before.acme.map((n) => n.replace('*', ''))).toEqual(['Lee', 'Patel']);
    expect(before.acme.filter((n) => n.endsWith('*'))).toHaveLength(1);
    expect(before).toMatchObject({ globex: ['Wong*'], customers: 2 });

    // Ann moves to Globex; Raj loses his account (orphans included: he becomes an Individual customer).
    await bench.crm('Contacts').put([contact('c1', 'Ann', 'Lee', 'a2'), contact('c2', 'Raj', 'Patel')]);
    const moved = await bench.sync();
    expect(moved.status).toBe('completed');
    const after = await personIds();
    expect(after.acme).toEqual([]);
    expect(after.globex).toEqual(['Lee', 'Wong*']);
    expect(after.customers).toBe(3);
    const raj = (await bench.books('contacts').all()).find((c) => c.data.contact_name === 'Raj Patel');
    expect(raj?.data.customer_sub_type).toBe('individual');
    // The person keeps its id across the move, and a run straight after writes nothing.
    const [link] = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'contact_person', [
      'c1',
    ]);
    expect(link?.parentBooksId).toBe(
      (await bench.books('contacts').all()).find((c) => c.data.contact_name === 'Globex')?.id,
    );
    const again = await bench.sync();
    expect(totals(again)).toMatchObject({ added: 0, updated: 0 });
  });

  it.each([
    ['clone', 2, 0],
    ['overwrite', 1, 1],
    ['skip', 1, 0],
  ] as const)('duplicate policy %s on customers (S2.3)', async (policy, customerCount, linked) => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts', duplicatePolicy: policy } });
    await bench.books('contacts').put([
      {
        contact_id: 'b1',
        contact_name: 'ACME  corp',
        contact_type: 'customer',
        customer_sub_type: 'business',
        phone: '000',
      },
    ]);
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);

    const run = await bench.sync();
    const customers = await bench.books('contacts').all();
    expect(customers).toHaveLength(customerCount);
    const links = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'customer', ['a1']);
    const existing = customers.find((c) => c.id === 'b1')!;
    if (policy === 'overwrite') {
      expect(links.map((l) => l.booksId)).toEqual(['b1']);
      expect(existing.data).toMatchObject({ contact_name: 'Acme Corp', phone: '+1 555 0100' });
      expect(totals(run)).toMatchObject({ matched: 1, added: 0, updated: 0 });
    } else if (policy === 'skip') {
      expect(links).toHaveLength(0);
      expect(existing.data).toMatchObject({ contact_name: 'ACME  corp', phone: '000' });
      expect(totals(run)).toMatchObject({ skipped: 1, added: 0 });
      const [saved] = await bench.deps.syncState.listRuns(bench.integrationId, { limit: 1 });
      const skips = await bench.deps.syncState.listRunSkips(saved!._id);
      expect(skips).toEqual({
        total: 1,
        byReason: { duplicate_exists: 1 },
        records: [
          expect.objectContaining({
            module: 'customers',
            direction: 'crm_to_books',
            recordId: 'a1',
            reason: 'duplicate_exists',
          }),
        ],
      });
    } else {
      expect(links.map((l) => l.booksId)).not.toContain('b1');
      expect(existing.data.phone).toBe('000');
    }
    expect(links.filter((l) => l.booksId === 'b1')).toHaveLength(linked);
  });

  it('reports a name matching several Books customers as ambiguous under overwrite', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts', duplicatePolicy: 'overwrite' } });
    await bench.books('contacts').put([
      {
        contact_id: 'b1',
        contact_name: 'Acme Corp',
        contact_type: 'customer',
        customer_sub_type: 'business',
      },
      {
        contact_id: 'b2',
        contact_name: 'acme corp',
        contact_type: 'customer',
        customer_sub_type: 'business',
      },
    ]);
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);
    const run = await bench.sync();
    expect(run.status).toBe('completed_with_failures');
    const failures = await bench.deps.syncState.listFailures(bench.integrationId, { limit: 10 });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ recordId: 'a1', field: 'Account_Name', status: 'open' });
    expect(failures[0]?.reason).toMatch(/ambiguous duplicate: 2 Books records/);
    expect((await bench.books('contacts').all()).map((c) => c.data.contact_name).sort()).toEqual([
      'Acme Corp',
      'acme corp',
    ]);
  });

  it('both ways: Business → Accounts and Individual → Contacts, CRM first, no echo', async () => {
    bench = await createSyncBench();
    await bench.configure({
      customers: { module: 'accounts_and_contacts', includeOrphanContacts: true, extent: 'both_ways' },
    });
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);
    await bench.books('contacts').put([
      {
        contact_id: 'b1',
        contact_name: 'Initech',
        contact_type: 'customer',
        customer_sub_type: 'business',
        phone: '+1 555 0142',
      },
      {
        contact_id: 'b2',
        contact_name: 'Sam Hill',
        first_name: 'Sam',
        last_name: 'Hill',
        contact_type: 'customer',
        customer_sub_type: 'individual',
      },
      { contact_id: 'v1', contact_name: 'Parts Ltd', contact_type: 'vendor' },
    ]);

    const run = await bench.sync();
    expect(run.status).toBe('completed');
    const accounts = await bench.crm('Accounts').all();
    expect(accounts.map((a) => a.data.Account_Name).sort()).toEqual(['Acme Corp', 'Initech']);
    expect(accounts.find((a) => a.data.Account_Name === 'Initech')?.data.Phone).toBe('+1 555 0142');
    const contacts = await bench.crm('Contacts').all();
    expect(contacts.map((c) => [c.data.First_Name, c.data.Last_Name])).toEqual([['Sam', 'Hill']]);
    expect(run.counts.customers?.books_to_crm).toMatchObject({ added: 2 });
    // The customer created in Books from Acme is seen by the Books → CRM step as our own write.
    expect(run.counts.customers?.books_to_crm?.updated ?? 0).toBe(0);

    const second = await bench.sync();
    expect(totals(second)).toMatchObject({ added: 0, updated: 0 });
    await bench.recordHistory('sync-run-both-ways', 1);
  });

  it("both ways: a Business customer's contact persons become CRM contacts of its account, edits follow", async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts_and_contacts', extent: 'both_ways' } });
    await bench.crm('Accounts').put([account('a1', 'Acme Corp')]);
    await bench.crm('Contacts').put([contact('c1', 'Ann', 'Lee', 'a1')]);
    await bench.books('contacts').put([
      {
        contact_id: 'b1',
        contact_name: 'Initech',
        contact_type: 'customer',
        customer_sub_type: 'business',
        contact_persons: [
          { contact_person_id: 'p1', first_name: 'Bill', last_name: 'Lumbergh', email: 'bill@initech.test' },
          { contact_person_id: 'p2', first_name: 'Milton' }, // no last name: CRM contacts require one
        ],
      },
    ]);

    const run = await bench.sync();
    expect(run.status).toBe('completed_with_failures');
    const initech = (await bench.crm('Accounts').all()).find((a) => a.data.Account_Name === 'Initech')!;
    const contactsOf = async (accountId: string) =>
      (await bench.crm('Contacts').all())
        .filter((c) => (c.data.Account_Name as { id?: string } | null)?.id === accountId)
        .map((c) => c.data);
    expect(await contactsOf(initech.id)).toEqual([
      expect.objectContaining({ First_Name: 'Bill', Last_Name: 'Lumbergh', Email: 'bill@initech.test' }),
    ]);
    // Ann went the other way, as Acme's contact person, and did not come back as a second CRM contact.
    expect(await contactsOf('a1')).toEqual([expect.objectContaining({ id: 'c1', Last_Name: 'Lee' })]);
    const [failure] = await bench.deps.syncState.listFailures(bench.integrationId, { limit: 10 });
    expect(failure).toMatchObject({
      recordId: 'b1',
      field: 'contact_persons.p2.last_name',
      kind: 'contact_person',
    });

    // An edit in Books reaches the CRM contact; then a run writes nothing.
    const [b1] = await bench
      .books('contacts')
      .all()
      .then((all) => all.filter((c) => c.id === 'b1'));
    const persons = (b1!.data.contact_persons as Record<string, unknown>[]).map((p) =>
      p.contact_person_id === 'p1' ? { ...p, email: 'bill.l@initech.test' } : p,
    );
    await bench.books('contacts').put([{ ...b1!.data, contact_persons: persons }]);
    const edited = await bench.sync();
    expect(edited.counts.customers?.books_to_crm).toMatchObject({ updated: 1, added: 0 });
    expect(await contactsOf(initech.id)).toEqual([expect.objectContaining({ Email: 'bill.l@initech.test' })]);
    const again = await bench.sync();
    expect(totals(again)).toMatchObject({ added: 0, updated: 0 });
  });
});
