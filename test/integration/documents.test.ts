import { MockActivityEnvironment } from '@temporalio/testing';
import { createDocumentActivities } from '../../activities/documents';
import { createIntegrationActivities } from '../../activities/integration';
import { createDocumentOperations, type DocumentOperations } from '../../api/documents';
import { createOperations } from '../../api/operations';
import { documentPollerWorkflowId, documentSyncWorkflowId } from '../../domain/ids';
import { DOCUMENT_POLLER_WORKFLOW, pollerSignalWithStart } from '../../domain/sync/documents/workflow-start';
import { documentPollerQuery } from '../../workflows/document-messages';
import { createSyncBench, type SyncBench } from './sync-harness';

/*
 * Transaction sync on the real servers (issue 16): documents reach Books through their workflow with their
 * customer and items synced first, and Books payments come back to the CRM copy; records checked in both
 * stores.
 */

type Data = Record<string, unknown>;

const product = (id: string, name: string, price: number) => ({
  id,
  Product_Name: name,
  Product_Code: `SKU-${id}`,
  Unit_Price: price,
  Product_Active: true,
});
const line = (productId: string, name: string, extra: Data) => ({
  Product_Name: { id: productId, name },
  ...extra,
});

/** Polls `read` until `done` holds of its value (the workflow works in the background), or fails with it. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('transaction sync on the real servers', () => {
  let bench: SyncBench;
  let ops: DocumentOperations;
  const ref = () => ({
    crmOrgId: bench.crmOrg,
    booksOrgId: bench.booksOrg,
    environment: 'production' as const,
  });
  const booksDoc = async (module: 'estimates' | 'invoices' | 'creditnotes', id: string) =>
    (await bench.deps.booksStore.module(module).findByIds(bench.booksOrg, [id]))[0];
  const crmDoc = async (module: 'Quotes' | 'Invoices', id: string) =>
    (await bench.deps.crmStore.module(module).findByIds(bench.crmOrg, [id]))[0];
  const linkOf = async (entity: 'estimate' | 'invoice', crmId: string) =>
    (await bench.deps.syncState.findLinksByCrmIds(bench.integrationId, entity, [crmId]))[0];
  /** The CRM invoice copy once it shows `status`. */
  const crmInvoiceIn = (id: string, status: string) =>
    eventually(
      () => crmDoc('Invoices', id),
      (d) => d?.data.Status === status,
    );
  // Written before the invoice copy (crm-copy.ts), so read once the copy shows its status.
  const account = async () => (await bench.crm('Accounts').all()).find((a) => a.id === 'a1')?.data;
  /** A Books custom field set on the invoices in Books: it reaches their CRM copies (S4.2). */
  const delivery = { customfield_id: 'cf1', api_name: 'cf_delivery', label: 'Delivery', value: 'Courier' };
  /** Pushes a sent invoice of Acme's for `amount` (Gadgets at 5) through the API, and its Books document. */
  const sentInvoice = async (id: string, amount: number) => {
    await ops.writeDocument(ref(), {
      module: 'Invoices',
      record: {
        id,
        Subject: `${id} for Acme`,
        Invoice_Number: id.toUpperCase(),
        Invoice_Date: '2026-12-01',
        Due_Date: '2099-12-31',
        Account_Name: { id: 'a1', name: 'Acme' },
        Invoiced_Items: [line('p2', 'Gadget', { Quantity: amount / 5, List_Price: 5 })],
      },
    });
    const link = await eventually(
      () => linkOf('invoice', id),
      (l) => l !== undefined,
    );
    const invoice = (await booksDoc('invoices', link!.booksId))!;
    expect(invoice.data).toMatchObject({ total: amount, balance: amount, status: 'draft' });
    await bench.deps.booksStore
      .module('invoices')
      .upsertMany(bench.booksOrg, [
        { id: invoice.id, data: { ...invoice.data, status: 'sent', custom_fields: [delivery] } as never },
      ]);
    return invoice;
  };

  beforeAll(async () => {
    bench = await createSyncBench();
    await bench.deps.booksStore.saveOrganization({
      organization_id: bench.booksOrg,
      name: 'Zylker Books',
      currency_code: 'USD',
      price_precision: 2,
      tax_rounding: 'entity_level',
    });
    await bench.deps.booksStore.saveTaxes(bench.booksOrg, [
      { tax_id: 'vat20', tax_name: 'VAT', tax_percentage: 20 },
    ]);
    await bench.configure({});
    // Two items are in Books already; the customer and the third item are not.
    await bench.crm('Products').put([product('p2', 'Gadget', 5), product('p3', 'Gizmo', 1.25)]);
    await bench.sync();
    await bench.crm('Products').put([product('p1', 'Widget', 19.99)]);
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme' }]);
    const doc = (await bench.deps.syncState.getIntegration(bench.integrationId))!;
    await bench.deps.syncState.saveIntegration({ ...doc, config: { ...doc.config, transactionSync: true } });
    ops = createDocumentOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
    });
    // Books-side changes (a status, a payment) come back through the poller (what enabling starts).
    await ops.startPoller(ref());
  }, 120_000);
  afterAll(async () => {
    await bench?.close();
  });

  it('a CRM quote with three lines reaches Books with exact totals, its customer and new item synced first', async () => {
    expect((await bench.books('contacts').all()).map((c) => c.data.contact_name)).toEqual([]);
    const written = await ops.writeDocument(ref(), {
      module: 'Quotes',
      record: {
        id: 'q1',
        Subject: 'Q-1 for Acme',
        Quote_Number: 'QT-1',
        cf_po_reference: 'PO-77',
        Account_Name: { id: 'a1', name: 'Acme' },
        Quoted_Items: [
          line('p1', 'Widget', { Quantity: 1.5, List_Price: 19.99, Discount: 3 }),
          line('p2', 'Gadget', { Quantity: 2, List_Price: 5, Tax: 20 }),
          line('p3', 'Gizmo', { Quantity: 3, List_Price: 1.25 }),
        ],
      },
    });
    expect(written).toMatchObject({
      workflowId: documentSyncWorkflowId(bench.crmOrg, 'Quotes', 'q1'),
      written: 'inserted',
    });

    const link = await eventually(
      () => linkOf('estimate', 'q1'),
      (l) => l !== undefined,
    );
    const estimate = await booksDoc('estimates', link!.booksId);
    expect(estimate?.data).toMatchObject({
      estimate_number: 'QT-1',
      status: 'draft',
      customer_name: 'Acme',
      sub_total: 40.74,
      tax_total: 2,
      total: 42.74,
      custom_fields: [{ api_name: 'cf_po_reference', value: 'PO-77' }],
    });
    const [customer] = (await bench.books('contacts').all()).filter((c) => c.data.contact_name === 'Acme');
    const widget = (await bench.books('items').all()).find((i) => i.data.name === 'Widget');
    expect(estimate?.data.customer_id).toBe(customer?.id);
    expect((estimate?.data.line_items as Data[])[0]).toMatchObject({ item_id: widget?.id, quantity: 1.5 });
    // Synced first: the customer and the item were written to Books before the estimate.
    expect(customer!.modifiedTime.getTime()).toBeLessThan(estimate!.modifiedTime.getTime());
    expect(widget!.modifiedTime.getTime()).toBeLessThan(estimate!.modifiedTime.getTime());
    const quote = await eventually(
      () => crmDoc('Quotes', 'q1'),
      (q) => q?.data.Books_Id !== undefined,
    );
    expect(quote?.data).toMatchObject({ Books_Id: link!.booksId, Status: 'draft', Grand_Total: 42.74 });
    expect(await bench.books('contacts').all()).toHaveLength(1);
  });

  it('an invoice paid in two parts in Books shows partially paid, then paid, on the CRM copy; its account follows', async () => {
    const invoice = await sentInvoice('inv1', 100);
    expect((await crmInvoiceIn('inv1', 'sent'))?.data).toMatchObject({
      Status: 'sent',
      Balance: 100,
      Payment_Made: 0,
      cf_delivery: 'Courier',
    });
    expect(await account()).toMatchObject({
      Sales_Total: 100,
      Outstanding_Receivables: 100,
      Receivables_Current: 100,
      Receivables_1_30_Days: 0,
      Receivables_Currency: 'USD',
    });
    const payment = (n: number, amount: number) => ({
      id: `pay${n}`,
      data: {
        payment_id: `pay${n}`,
        customer_id: invoice.data.customer_id as string,
        payment_mode: 'cash',
        amount,
        date: '2026-12-05',
        invoices: [{ invoice_id: invoice.id, amount_applied: amount }],
      },
    });
    const payments = bench.deps.booksStore.module('customerpayments');
    await payments.upsertMany(bench.booksOrg, [payment(1, 40)]);
    expect((await crmInvoiceIn('inv1', 'partially_paid'))?.data).toMatchObject({
      Balance: 60,
      Payment_Made: 40,
    });
    expect(await account()).toMatchObject({
      Sales_Total: 100,
      Outstanding_Receivables: 60,
      Receivables_Current: 60,
    });
    await payments.upsertMany(bench.booksOrg, [payment(2, 60)]);
    expect((await crmInvoiceIn('inv1', 'paid'))?.data).toMatchObject({ Balance: 0, Payment_Made: 100 });
    expect(await account()).toMatchObject({
      Sales_Total: 100,
      Outstanding_Receivables: 0,
      Receivables_Current: 0,
    });
    const handle = bench.client.workflow.getHandle(documentSyncWorkflowId(bench.crmOrg, 'Invoices', 'inv1'));
    expect(await handle.result()).toMatchObject({ ended: 'final', status: 'paid' });
  });

  it("a credit note applied in Books lowers the CRM invoice copy's balance, and its account's receivables", async () => {
    const invoice = await sentInvoice('inv2', 50);
    await crmInvoiceIn('inv2', 'sent');
    await bench.deps.booksStore.module('creditnotes').upsertMany(bench.booksOrg, [
      {
        id: 'cn1',
        data: {
          creditnote_id: 'cn1',
          creditnote_number: 'CN-1',
          customer_id: invoice.data.customer_id as string,
          status: 'open',
          date: '2026-12-06',
          total: 20,
          balance: 20,
        },
      },
    ]);
    const credit = { creditnote_invoice_id: 'cn1-inv2', invoice_id: invoice.id, date: '2026-12-06' };
    expect(
      await bench.deps.booksStore.applyCreditNote(bench.booksOrg, 'cn1', [
        { ...credit, amount_applied: 20.01 },
      ]),
    ).toMatchObject({ ok: false, problems: [{ field: 'balance' }] });
    expect(
      await bench.deps.booksStore.applyCreditNote(bench.booksOrg, 'cn1', [{ ...credit, amount_applied: 20 }]),
    ).toEqual({ ok: true });
    expect((await crmInvoiceIn('inv2', 'partially_paid'))?.data).toMatchObject({
      Balance: 30,
      Payment_Made: 0,
    });
    expect(await account()).toMatchObject({ Sales_Total: 150, Outstanding_Receivables: 30 });
    expect((await booksDoc('creditnotes', 'cn1'))?.data).toMatchObject({ balance: 0, status: 'closed' });
  });

  it('a document written straight into the CRM store is picked up by the poller', async () => {
    await bench.deps.crmStore.module('Quotes').upsertMany(bench.crmOrg, [
      {
        id: 'q2',
        data: {
          id: 'q2',
          Subject: 'Q-2 for Acme',
          Account_Name: { id: 'a1', name: 'Acme' },
          Quoted_Items: [{ Product_Name: { id: 'p3', name: 'Gizmo' }, Quantity: 4, List_Price: 1.25 }],
        },
      },
    ]);
    await ops.startPoller(ref());
    const link = await eventually(
      () => linkOf('estimate', 'q2'),
      (l) => l !== undefined,
    );
    expect((await booksDoc('estimates', link!.booksId))?.data).toMatchObject({
      total: 5,
      customer_name: 'Acme',
    });
  });

  it('the CRM webhook signals a finance document once however often notified; a Books-created invoice is left out, counted', async () => {
    const api = createOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      webhookToken: 'hook-token',
    });
    await bench.deps.crmStore.module('Quotes').upsertMany(bench.crmOrg, [
      {
        id: 'q3',
        data: {
          id: 'q3',
          Subject: 'Q-3 for Acme',
          Account_Name: { id: 'a1', name: 'Acme' },
          Quoted_Items: [{ Product_Name: { id: 'p2', name: 'Gadget' }, Quantity: 1, List_Price: 5 }],
        },
      },
    ]);
    const note = {
      module: 'Quotes',
      ids: ['q3', 'q3'],
      operation: 'update',
      channel_id: 7,
      token: 'hook-token',
    };
    expect(await api.webhook(bench.crmOrg, note)).toMatchObject({ documents: 1 });
    expect(await api.webhook(bench.crmOrg, note)).toMatchObject({ documents: 1 });
    const link = await eventually(
      () => linkOf('estimate', 'q3'),
      (l) => l !== undefined,
    );
    expect((await booksDoc('estimates', link!.booksId))?.data).toMatchObject({ total: 5 });
    expect(
      (await bench.deps.booksStore.module('estimates').findByIds(bench.booksOrg, [link!.booksId])).length,
    ).toBe(1);

    const [paid] = (await bench.deps.booksStore.module('invoices').findChangedSince(bench.booksOrg, null, 10))
      .records;
    await bench.deps.booksStore.module('invoices').upsertMany(bench.booksOrg, [
      {
        id: 'made-in-books',
        data: { ...paid!.data, invoice_id: 'made-in-books', invoice_number: 'BK-1' } as never,
      },
    ]);
    const poller = bench.client.workflow.getHandle(documentPollerWorkflowId(bench.integrationId));
    const progress = await eventually(
      () => poller.query(documentPollerQuery),
      (p) => (p.leftOut?.created_in_books ?? 0) > 0,
    );
    expect(progress.leftOut?.created_in_books).toBeGreaterThan(0);
  });

  it('disable deletes the CRM finance copies, Books untouched; re-enable brings them back under their ids, once', async () => {
    const modules = ['Quotes', 'Invoices'] as const;
    const copies = async () =>
      (
        await Promise.all(
          modules.map(
            async (m) =>
              (await bench.deps.crmStore.module(m).findChangedSince(bench.crmOrg, null, 10_000)).records,
          ),
        )
      )
        .flat()
        .filter((r) => !r.deleted);
    const booksCount = async () =>
      (await bench.deps.booksStore.module('estimates').count(bench.booksOrg)) +
      (await bench.deps.booksStore.module('invoices').count(bench.booksOrg));
    const before = await copies();
    const booksBefore = await booksCount();
    expect(before.map((r) => r.id).sort()).toEqual(['inv1', 'inv2', 'q1', 'q2', 'q3']);
    const setStatus = createIntegrationActivities(bench.deps).setIntegrationStatus;
    const actor = { id: 'ops' };
    const poller = bench.client.workflow.getHandle(documentPollerWorkflowId(bench.integrationId));

    const disabled = await setStatus({ integrationId: bench.integrationId, status: 'disabled', actor });
    expect(disabled.financeRecordsDeleted).toBe(5);
    expect(await copies()).toEqual([]);
    expect(await booksCount()).toBe(booksBefore);
    await poller.result();

    // Re-enable as the integration workflow does: status, then the poller's signal-with-start.
    await setStatus({ integrationId: bench.integrationId, status: 'active', actor });
    const integration = (await bench.deps.syncState.getIntegration(bench.integrationId))!;
    await bench.client.workflow.signalWithStart(
      DOCUMENT_POLLER_WORKFLOW,
      pollerSignalWithStart(integration, bench.taskQueue),
    );
    const progress = await eventually(
      () => poller.query(documentPollerQuery),
      (p) => p.polls > 0,
    );
    expect(progress.restored).toBe(5);
    const after = await copies();
    expect(after.map((r) => r.id).sort()).toEqual(before.map((r) => r.id).sort());
    for (const copy of after) {
      const held = before.find((r) => r.id === copy.id)!.data;
      expect({ ...copy.data, Modified_Time: held.Modified_Time }).toEqual(held);
    }
    expect(await booksCount()).toBe(booksBefore);

    // A second re-enable (or a retry of the restore) writes nothing.
    const restore = createDocumentActivities(bench.deps).restoreCrmCopies;
    expect(await new MockActivityEnvironment().run(restore, { integrationId: bench.integrationId })).toEqual({
      restored: 0,
    });
    expect((await copies()).map((r) => [r.id, r.modifiedTime])).toEqual(
      after.map((r) => [r.id, r.modifiedTime]),
    );
  });
});
