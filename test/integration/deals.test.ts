import pino from 'pino';
import { createDealOperations } from '../../api/deals';
import { startHttpServer } from '../../api/http';
import { createOperations } from '../../api/operations';
import type { DealOperations, IntegrationRef } from '../../api/types';
import { createSyncClient } from '../../client/sync-client';
import { demoDealToInvoice } from '../../cli/deals-commands';
import { associationKey } from '../../domain/deals/associations';
import { dealAutomationWorkflowId } from '../../domain/ids';
import { createSyncBench, type SyncBench } from './sync-harness';

/*
 * Deal automation on the real servers (issue 17): a deal moved through its stages through the HTTP API makes
 * its quote, then its invoice, in the Books store with the S5.4 fields, each evaluation leaving a decision
 * record; once the invoice is sent, a stage change makes nothing and its record says why (S5.6). A deal is
 * associated with Books documents of its customer, and dissociated, over the same HTTP API (S4.3).
 */

type Data = Record<string, unknown>;

/** Polls `read` until `done` holds of its value (the workflow works in the background), or returns the last. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const PIPELINE = {
  id: 'pl1',
  display_value: 'Standard',
  default: true,
  maps: [
    { display_value: 'Sprout', probability: 10 },
    { display_value: 'Offer out', probability: 60 },
    { display_value: 'Handshake', probability: 90 },
    { display_value: 'Harvest', probability: 100 },
    { display_value: 'Withered', probability: 0 },
  ],
};

describe('deal automation on the real servers', () => {
  let bench: SyncBench;
  let server: { url: string; close(): Promise<void> };
  let api: DealOperations;
  let ref: IntegrationRef;

  beforeAll(async () => {
    bench = await createSyncBench();
    await bench.deps.booksStore.saveOrganization({
      organization_id: bench.booksOrg,
      name: 'Zylker Books',
      currency_code: 'USD',
      price_precision: 2,
      tax_rounding: 'entity_level',
      is_quote_to_invoice_enabled: true,
      quote_to_invoice_mode: 'draft',
    });
    await bench.configure({});
    await bench.deps.crmStore.savePipelines(bench.crmOrg, [PIPELINE]);
    await bench.crm('Accounts').put([{ id: 'a1', Account_Name: 'Acme', Billing_City: 'Lyon' }]);
    const deals = createDealOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      dealStore: bench.deps.dealStore,
      books: bench.deps.booksStore,
    });
    server = await startHttpServer({
      operations: { deals } as never,
      port: 0,
      host: '127.0.0.1',
      logger: pino({ level: 'silent' }),
    });
    api = createSyncClient(server.url).deals!;
    ref = { crmOrgId: bench.crmOrg, booksOrgId: bench.booksOrg, environment: 'production' };
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await bench?.close();
  });

  const documentsOf = async (dealId: string) => (await api.deal(ref, dealId)).documents;
  const booksDoc = async (module: 'estimates' | 'invoices', id: string) =>
    (await bench.deps.booksStore.module(module).findByIds(bench.booksOrg, [id]))[0]?.data as Data | undefined;

  it('quote at "Offer out", approved and invoiced at "Handshake", with S5.4 fields and decision records', async () => {
    await api.setRules(ref, {
      rules: [{ id: 'main', mode: 'quote', createQuoteStage: 'Offer out', approveQuoteStage: 'Handshake' }],
    });
    const written = await api.writeDeal(ref, {
      record: {
        id: 'd1',
        Deal_Name: 'Ten licences',
        Description: 'Annual plan',
        Stage: 'Offer out',
        Amount: 1200,
        Owner: { id: 'u1', name: 'Ann Owner' },
        Account_Name: { id: 'a1', name: 'Acme' },
      },
    });
    expect(written.workflowId).toBe(dealAutomationWorkflowId(bench.crmOrg, 'd1'));

    const [quoteLink] = await eventually(
      () => documentsOf('d1'),
      (docs) => docs.length === 1 && docs[0]!.written,
    );
    const quote = await booksDoc('estimates', quoteLink!.booksId);
    const customer = (await bench.books('contacts').all()).find((c) => c.data.contact_name === 'Acme');
    expect(quote).toMatchObject({
      status: 'draft',
      customer_id: customer?.id,
      customer_name: 'Acme',
      billing_address: { city: 'Lyon' },
      salesperson_name: 'Ann Owner',
      line_items: [{ name: 'Ten licences', description: 'Annual plan', rate: 1200, quantity: 1 }],
      total: 1200,
      zcrm_potential_id: 'd1',
    });

    await api.editDeal(ref, 'd1', { stage: 'Handshake' });
    const docs = await eventually(
      () => documentsOf('d1'),
      (d) => d.length === 2 && d.every((doc) => doc.written),
    );
    const invoiceLink = docs.find((d) => d.kind === 'invoice')!;
    expect(await booksDoc('invoices', invoiceLink.booksId)).toMatchObject({
      status: 'draft',
      estimate_id: quoteLink!.booksId,
      customer_id: customer?.id,
      total: 1200,
      balance: 1200,
    });
    expect((await booksDoc('estimates', quoteLink!.booksId))?.status).toBe('invoiced');
    // The decision record is written after the Books write it reports.
    const view = await eventually(
      () => api.deal(ref, 'd1'),
      (v) => v.decisions.filter((d) => d.fired).length === 3,
    );
    expect(
      view.decisions
        .filter((d) => d.fired)
        .map((d) => d.action)
        .reverse(),
    ).toEqual(['create_quote', 'approve_quote', 'create_invoice']);
    expect(view.decisions.at(-1)?.inputs).toMatchObject({
      stage: 'Offer out',
      probability: 60,
      amount: 1200,
    });
  });

  it('after the invoice is sent, a stage change creates nothing and records why', async () => {
    await api.setRules(ref, { rules: [{ id: 'inv', mode: 'invoice' }] });
    const deal = {
      id: 'd2',
      Deal_Name: 'Support',
      Stage: 'Harvest',
      Amount: 300,
      Account_Name: { id: 'a1', name: 'Acme' },
    };
    await api.writeDeal(ref, { record: deal });
    const [link] = await eventually(
      () => documentsOf('d2'),
      (d) => d.length === 1 && d[0]!.written,
    );
    // Books sends the invoice (as a user would in Books).
    const invoices = bench.deps.booksStore.module('invoices');
    const [stored] = await invoices.findByIds(bench.booksOrg, [link!.booksId]);
    await invoices.upsertMany(bench.booksOrg, [
      { id: stored!.id, data: { ...stored!.data, status: 'sent' } },
    ]);

    await api.editDeal(ref, 'd2', { stage: 'Withered' });
    const view = await eventually(
      () => api.deal(ref, 'd2'),
      (v) => v.decisions.some((d) => d.inputs.stage === 'Withered'),
    );
    const last = view.decisions.find((d) => d.inputs.stage === 'Withered');
    expect(last).toMatchObject({ action: 'none', fired: false });
    expect(last?.reason).toMatch(/^not fired: the invoice INV-d2-inv was already sent \(sent\)/);
    expect(view.documents).toHaveLength(1);
    expect((await booksDoc('invoices', link!.booksId))?.status).toBe('sent');
    const all = await api.decisions(ref);
    expect(all.some((d) => d.dealId === 'd1') && all.some((d) => d.dealId === 'd2')).toBe(true);
  });

  it('a deal won through the webhook and one written straight to the CRM store each get exactly one invoice', async () => {
    await api.setRules(ref, { rules: [{ id: 'inv', mode: 'invoice' }] });
    const won = { Stage: 'Harvest', Amount: 500, Account_Name: { id: 'a1', name: 'Acme' } };
    await bench.deps.crmStore.module('Deals').upsertMany(bench.crmOrg, [
      { id: 'd3', data: { id: 'd3', Deal_Name: 'Via webhook', ...won } },
      { id: 'd4', data: { id: 'd4', Deal_Name: 'Straight to the store', ...won } },
    ]);
    const ops = createOperations({
      temporal: bench.client,
      taskQueue: bench.taskQueue,
      syncState: bench.deps.syncState,
      crm: bench.deps.crmStore,
      books: bench.deps.booksStore,
      webhookToken: 'hook-secret',
    });
    // Delivered twice, naming the deal twice: one signal per delivery, one invoice in all.
    const note = {
      module: 'Deals',
      operation: 'update',
      ids: ['d3', 'd3'],
      channel_id: 7,
      token: 'hook-secret',
    };
    expect(await ops.webhook(bench.crmOrg, note)).toMatchObject({ deals: 1 });
    expect(await ops.webhook(bench.crmOrg, note)).toMatchObject({ deals: 1 });
    expect(await ops.webhook(bench.crmOrg, { ...note, operation: 'delete' })).not.toHaveProperty('deals');

    // d4 reaches its workflow only through the poller, which `deals rules set` started.
    for (const dealId of ['d3', 'd4'])
      await eventually(
        () => documentsOf(dealId),
        (d) => d.length === 1 && d[0]!.written,
      );
    const invoices = (
      await bench.deps.booksStore.module('invoices').findChangedSince(bench.booksOrg, null, 1000)
    ).records;
    const of = (dealId: string) => invoices.filter((i) => (i.data as Data).zcrm_potential_id === dealId);
    expect([of('d3').length, of('d4').length]).toEqual([1, 1]);
  });

  it("the demo's step: a deal won -> an invoice in Books, with the decision that made it", async () => {
    const shown = await demoDealToInvoice({ deals: api, crm: bench.deps.crmStore, ref, accountId: 'a1' });
    expect(shown).toMatchObject({ invoice: `INV-${shown.dealId}-demo` });
    expect(shown.decision).toMatch(/^create_invoice: the deal is won at stage "Closed Won"/);
  });

  it("associates d1 with its customer's invoice, refuses the other customer's and a trigger's dissociation (S4.3)", async () => {
    const [triggerInvoice] = (await documentsOf('d1')).filter((d) => d.kind === 'invoice');
    const invoices = bench.deps.booksStore.module('invoices');
    const [made] = await invoices.findByIds(bench.booksOrg, [triggerInvoice!.booksId]);
    const invoice = (id: string, customerId: string) => ({
      id,
      data: { ...made!.data, invoice_id: id, invoice_number: `N-${id}`, customer_id: customerId },
    });
    const customerId = made!.data.customer_id;
    await invoices.upsertMany(bench.booksOrg, [invoice('own', customerId), invoice('other', 'c-other')]);
    const deals = bench.deps.crmStore.module('Deals');
    const acme = { Stage: 'Sprout', Account_Name: { id: 'a1', name: 'Acme' } };
    await deals.upsertMany(bench.crmOrg, [
      { id: 'd5', data: { id: 'd5', Deal_Name: 'Ten licences (lost)', ...acme } },
      { id: 'd6', data: { id: 'd6', Deal_Name: 'Another deal', ...acme } },
    ]);
    await deals.markDeleted(bench.crmOrg, ['d5']);

    const first = await api.associate(ref, 'd1', { kind: 'invoice', booksId: 'own' });
    expect(first).toMatchObject({ madeBy: 'user', number: 'N-own', created: true });
    expect(await api.associate(ref, 'd1', { kind: 'invoice', booksId: 'own' })).toMatchObject({
      created: false,
    });
    const key = associationKey(bench.crmOrg, 'd1', 'invoice', 'own');
    expect(await bench.deps.dealStore.associationByKey(key)).toMatchObject({ customerId, number: 'N-own' });
    const listed = (await api.associations(ref, 'd1')).associations;
    expect(listed.map((a) => `${a.madeBy} ${a.kind}`).sort()).toEqual([
      'trigger estimate',
      'trigger invoice',
      'user invoice',
    ]);

    await expect(api.associate(ref, 'd1', { kind: 'invoice', booksId: 'other' })).rejects.toMatchObject({
      kind: 'invalid',
      issues: [expect.stringMatching(/^booksId: the invoice belongs to another customer \(c-other\)/)],
    });
    // Expenses: one billed to the deal's customer is taken, one billed to none is refused with the reason.
    const expense = (id: string, customer: string) => ({
      id,
      data: {
        expense_id: id,
        date: '2026-12-01',
        amount: 120,
        account_name: 'Travel',
        customer_id: customer,
      },
    });
    await bench.deps.booksStore
      .module('expenses')
      .upsertMany(bench.booksOrg, [expense('exp-own', customerId), expense('exp-none', '')]);
    expect(await api.associate(ref, 'd1', { kind: 'expense', booksId: 'exp-own' })).toMatchObject({
      kind: 'expense',
      number: 'exp-own',
      created: true,
    });
    await expect(api.associate(ref, 'd1', { kind: 'expense', booksId: 'exp-none' })).rejects.toMatchObject({
      kind: 'invalid',
      issues: ['booksId: the expense is not billed to a customer'],
    });
    await expect(api.associate(ref, 'd1', { kind: 'expense', booksId: 'own' })).rejects.toMatchObject({
      kind: 'not_found',
    });
    await expect(api.dissociate(ref, 'd1', 'invoice', triggerInvoice!.booksId)).rejects.toMatchObject({
      kind: 'conflict',
    });

    // Search offers live deals of the invoice's customer only; the customer's listing puts the deleted one last.
    const found = await api.searchDeals(ref, { kind: 'invoice', booksId: 'own', name: 'ten licences' });
    expect(found.deals.map((d) => d.dealId)).toEqual(['d1']);
    const all = (await api.customerDeals(ref, customerId)).deals;
    expect(all.at(-1)).toEqual({ dealId: 'd5', name: 'Ten licences (lost)', deleted: true });
    expect(all.filter((d) => d.deleted)).toHaveLength(1);

    expect(await api.dissociate(ref, 'd1', 'invoice', 'own')).toEqual({ removed: true });
    expect(await api.dissociate(ref, 'd1', 'invoice', 'own')).toEqual({ removed: false });
    expect(await bench.deps.dealStore.associationByKey(key)).toBeUndefined();
    expect(await bench.deps.dealStore.documentsOfDeal(bench.crmOrg, 'd1')).toHaveLength(2);
  });
});
