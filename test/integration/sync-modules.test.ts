import { createSyncBench, totals, withRegionCustomField, type SyncBench } from './sync-harness';

/** Vendors (S2.6), items (S2.7), views (S2.4), field maps (S2.5), prerequisites (S1.2), deletes (S3.8). */

const product = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  id,
  Product_Name: name,
  Product_Code: `SKU-${id}`,
  Unit_Price: 19.99,
  Description: `${name} description`,
  Product_Active: true,
  ...extra,
});

const item = (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  item_id: id,
  name,
  rate: 5,
  sku: `B-${id}`,
  status: 'active',
  ...extra,
});

describe('vendors, items, views and field maps on the real servers', () => {
  let bench: SyncBench;
  afterEach(async () => {
    await bench?.close();
  });

  it('Vendors → Books vendors with address fields', async () => {
    bench = await createSyncBench();
    await bench.configure({});
    await bench.crm('Vendors').put([
      {
        id: 'v1',
        Vendor_Name: 'Parts Ltd',
        Email: 'ap@parts.test',
        City: 'Leeds',
        Zip_Code: 'LS1',
        Country: 'UK',
      },
    ]);
    const run = await bench.sync();
    expect(run.counts.vendors?.crm_to_books).toMatchObject({ added: 1 });
    const [vendor] = await bench.books('contacts').all();
    expect(vendor?.data).toMatchObject({
      contact_type: 'vendor',
      contact_name: 'Parts Ltd',
      email: 'ap@parts.test',
      billing_address: { city: 'Leeds', zip: 'LS1', country: 'UK' },
    });
  });

  it('items both ways with overwrite: Books is pushed first and replaces the CRM duplicate', async () => {
    bench = await createSyncBench();
    await bench.configure({ items: { extent: 'both_ways', duplicatePolicy: 'overwrite' } });
    await bench.crm('Products').put([product('p1', 'Widget', { Unit_Price: 10 }), product('p2', 'Gadget')]);
    await bench
      .books('items')
      .put([item('i1', 'widget', { rate: 12.5, description: 'from Books' }), item('i2', 'Sprocket')]);

    const run = await bench.sync();
    expect(run.status).toBe('completed');
    const products = await bench.crm('Products').all();
    expect(products.map((p) => p.data.Product_Name).sort()).toEqual(['Gadget', 'Sprocket', 'widget']);
    expect(products.find((p) => p.id === 'p1')?.data).toMatchObject({
      Product_Name: 'widget',
      Unit_Price: 12.5,
      Description: 'from Books',
      Product_Code: 'B-i1',
    });
    const items = await bench.books('items').all();
    expect(items.map((i) => i.data.name).sort()).toEqual(['Gadget', 'Sprocket', 'widget']);
    expect(items.find((i) => i.data.name === 'Gadget')?.data).toMatchObject({
      rate: 19.99,
      sku: 'SKU-p2',
      status: 'active',
    });
    const links = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'item', ['p1']);
    expect(links.map((l) => l.booksId)).toEqual(['i1']);
    expect(totals(await bench.sync())).toMatchObject({ added: 0, updated: 0 });
  });

  it('items one way with overwrite: the duplicate is in Books and the CRM product replaces it', async () => {
    bench = await createSyncBench();
    await bench.configure({ items: { extent: 'fetch_from_crm', duplicatePolicy: 'overwrite' } });
    await bench.crm('Products').put([product('p1', 'Widget', { Unit_Price: 10 })]);
    await bench.books('items').put([item('i1', 'WIDGET', { rate: 12.5 })]);
    await bench.sync();
    const items = await bench.books('items').all();
    expect(items).toHaveLength(1);
    expect(items[0]?.data).toMatchObject({ item_id: 'i1', name: 'Widget', rate: 10 });
    expect(await bench.crm('Products').all()).toHaveLength(1);
  });

  it('syncs only the records of the chosen view (S2.4)', async () => {
    bench = await createSyncBench();
    await bench.deps.crmStore.saveViews(bench.crmOrg, [
      {
        id: 'view-us',
        name: 'US accounts',
        module: 'Accounts',
        predefined: false,
        criteria: { field: { api_name: 'Billing_Country' }, comparator: 'equal', value: 'USA' },
      },
    ]);
    await bench.configure({ customers: { module: 'accounts', accountViewId: 'view-us' } });
    await bench.crm('Accounts').put([
      { id: 'a1', Account_Name: 'Acme', Billing_Country: 'usa' },
      { id: 'a2', Account_Name: 'Globex', Billing_Country: 'Canada' },
    ]);
    const run = await bench.sync();
    expect(run.counts.customers?.crm_to_books).toMatchObject({ added: 1, skipped: 1 });
    expect((await bench.books('contacts').all()).map((c) => c.data.contact_name)).toEqual(['Acme']);
  });

  it('maps a CRM field to an existing Books custom field, and Goods/Services to the product type (S2.5)', async () => {
    bench = await createSyncBench();
    await bench.configure({
      customers: await withRegionCustomField(bench),
      items: {
        fieldMaps: [{ crmField: 'Item_Kind', booksField: 'product_type', owner: 'latest', mandatory: false }],
      },
    });
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme', Region: 'EMEA' }]);
    await bench
      .crm('Products')
      .put([
        product('p1', 'Consulting', { Item_Kind: 'Services' }),
        product('p2', 'Bolt', { Item_Kind: 'Gizmo' }),
      ]);
    const run = await bench.sync();
    expect(run.status).toBe('completed_with_failures');
    const [customer] = await bench.books('contacts').all();
    expect(customer?.data.custom_fields).toEqual([{ api_name: 'cf_region', value: 'EMEA' }]);
    const items = await bench.books('items').all();
    expect(items.map((i) => [i.data.name, i.data.product_type])).toEqual([['Consulting', 'service']]);
    const failures = await bench.deps.syncState.listFailures(bench.integrationId, { limit: 5 });
    expect(failures.map((f) => [f.recordId, f.field])).toEqual([['p2', 'Item_Kind']]);
    expect(failures[0]?.reason).toContain('neither Goods nor Services');
  });

  it('refuses a run whose map points at a Books custom field that does not exist, with the reason', async () => {
    bench = await createSyncBench();
    await bench.configure({
      customers: {
        module: 'accounts',
        fieldMaps: [
          { crmField: 'Region', booksField: 'custom_fields.cf_nope', owner: 'crm', mandatory: false },
        ],
      },
    });
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme' }]);
    const run = await bench.sync();
    expect(run.status).toBe('failed');
    expect(run.reason).toContain('the Books custom field "cf_nope" does not exist');
    expect(await bench.books('contacts').all()).toHaveLength(0);
    const [history] = await bench.deps.syncState.listRuns(bench.integrationId, { limit: 1 });
    expect(history).toMatchObject({ status: 'failed', reason: run.reason });
  });

  it.each([
    [
      { edition: 'STANDARD' },
      'the CRM edition is STANDARD; the Books integration needs Professional or above',
    ],
    [{ currency: 'EUR', mc: true }, 'base currency EUR differs from the Books base currency USD'],
  ])('refuses to sync when a prerequisite fails (S1.2): %j', async (opts, reason) => {
    bench = await createSyncBench(opts);
    await bench.configure({});
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme' }]);
    const run = await bench.sync();
    expect(run).toMatchObject({ status: 'failed' });
    expect(run.reason).toContain(reason);
    expect(await bench.books('contacts').all()).toHaveLength(0);
  });

  it('does not propagate deletes (S3.8): the Books record stays and the link is marked', async () => {
    bench = await createSyncBench();
    await bench.configure({ customers: { module: 'accounts' } });
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme' }]);
    await bench.sync();
    await bench.deps.crmStore.module('Accounts').markDeleted(bench.crmOrg, ['a1']);
    const run = await bench.sync();
    expect(run.counts.customers?.crm_to_books).toMatchObject({ deleted: 1 });
    const customers = await bench.books('contacts').all();
    expect(customers.map((c) => [c.data.contact_name, c.deleted])).toEqual([['Acme', false]]);
    const [link] = await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, 'customer', ['a1']);
    expect(link?.deletedIn).toBe('crm');
  });

  it('resolves a two-way conflict by field owner and moves one-sided changes both ways (S9.5)', async () => {
    bench = await createSyncBench();
    await bench.configure({
      customers: {
        module: 'accounts',
        extent: 'both_ways',
        fieldMaps: [{ crmField: 'Website', booksField: 'website', owner: 'books', mandatory: false }],
      },
    });
    await bench
      .crm('Accounts')
      .put([{ id: 'a1', Account_Name: 'Acme', Phone: '1', Website: 'https://a.test', Billing_City: 'X' }]);
    await bench.sync();
    const [customer] = await bench.books('contacts').all();
    // Both sides change: Phone on both (latest wins: Books, written after), Website on both (owner: Books),
    // Billing_City only in the CRM.
    await bench
      .crm('Accounts')
      .put([{ id: 'a1', Account_Name: 'Acme', Phone: '2', Website: 'https://crm.test', Billing_City: 'Y' }]);
    await new Promise((r) => setTimeout(r, 20));
    await bench.books('contacts').put([{ ...customer!.data, phone: '3', website: 'https://books.test' }]);

    await bench.sync();
    const [account] = await bench.crm('Accounts').all();
    const [after] = await bench.books('contacts').all();
    expect(account?.data).toMatchObject({ Phone: '3', Website: 'https://books.test', Billing_City: 'Y' });
    expect(after?.data).toMatchObject({
      phone: '3',
      website: 'https://books.test',
      billing_address: { city: 'Y' },
    });
    expect(totals(await bench.sync())).toMatchObject({ added: 0, updated: 0 });
  });
});
