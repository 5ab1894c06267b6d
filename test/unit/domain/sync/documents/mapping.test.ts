import type { FinanceKind } from '../../../../../domain/finance/documents';
import {
  documentDependencies,
  pullBack,
  toBooksDocument,
  type DocumentLinks,
} from '../../../../../domain/sync/documents/mapping';
import { BOOKS_ORG } from '../../finance/books-org';

const line = (product: string, extra: Record<string, unknown> = {}) => ({
  Product_Name: { id: product, name: `Product ${product}` },
  Quantity: 1,
  List_Price: 10,
  ...extra,
});

const quote = (extra: Record<string, unknown> = {}) => ({
  id: 'q1',
  Subject: 'Q-1 for Acme',
  Quote_Number: 'QT-1',
  Account_Name: { id: 'a1', name: 'Acme' },
  Valid_Till: '2026-12-31',
  Created_Time: '2026-12-01T10:00:00Z',
  Quoted_Items: [
    line('p1', { Quantity: 1.5, List_Price: 19.99, Discount: 3 }),
    line('p2', { Quantity: 2, List_Price: 5, Tax: 20 }),
    line('p3', { Quantity: 3, List_Price: 1.25 }),
  ],
  ...extra,
});

const linked: DocumentLinks = { party: 'c1', items: { p1: 'i1', p2: 'i2', p3: 'i3' } };
const base = { booksId: 'cbs-books-1', org: BOOKS_ORG, today: '2026-12-07' };

describe('documentDependencies', () => {
  it.each<[string, FinanceKind, Record<string, unknown>, string[]]>([
    [
      'a quote needs its account and its products',
      'estimate',
      quote(),
      ['Accounts:a1', 'Products:p1', 'Products:p2', 'Products:p3'],
    ],
    [
      'a purchase order needs its vendor',
      'purchaseorder',
      { id: 'po1', Subject: 'PO', Vendor_Name: { id: 'v1', name: 'V' }, Purchase_Items: [line('p1')] },
      ['Vendors:v1', 'Products:p1'],
    ],
  ])('%s', (_name, kind, crm, expected) => {
    const deps = documentDependencies(kind, crm);
    expect(deps.ok).toBe(true);
    if (!deps.ok) return;
    expect([deps.party, ...deps.items].map((d) => `${d.crmModule}:${d.crmId}`)).toEqual(expected);
  });

  it.each<[string, FinanceKind, Record<string, unknown>, string[]]>([
    ['no account', 'estimate', quote({ Account_Name: null }), ['Account_Name']],
    [
      'no lines',
      'invoice',
      { id: 'i1', Subject: 'I', Account_Name: { id: 'a1' }, Invoiced_Items: [] },
      ['Invoiced_Items'],
    ],
    [
      'a line without product',
      'estimate',
      quote({ Quoted_Items: [{ Quantity: 1 }] }),
      ['Quoted_Items.0.Product_Name'],
    ],
    [
      'no vendor',
      'purchaseorder',
      { id: 'po1', Subject: 'PO', Purchase_Items: [line('p1')] },
      ['Vendor_Name'],
    ],
  ])('refuses %s, with the field', (_name, kind, crm, fields) => {
    const deps = documentDependencies(kind, crm);
    expect(deps.ok).toBe(false);
    if (deps.ok) return;
    expect(deps.problems.map((p) => p.field)).toEqual(fields);
  });
});

describe('toBooksDocument', () => {
  it('maps a quote with three lines to an estimate with exact totals', () => {
    const mapped = toBooksDocument({ kind: 'estimate', crm: quote(), links: linked, ...base });
    expect(mapped.ok).toBe(true);
    if (!mapped.ok) return;
    expect(mapped.books).toMatchObject({
      estimate_id: 'cbs-books-1',
      estimate_number: 'QT-1',
      status: 'draft',
      customer_id: 'c1',
      customer_name: 'Acme',
      date: '2026-12-01',
      expiry_date: '2026-12-31',
      reference_number: 'Q-1 for Acme',
      discount_type: 'item_level',
      line_items: [
        { item_id: 'i1', rate: 19.99, quantity: 1.5, discount: 3 },
        { item_id: 'i2', rate: 5, quantity: 2, tax_id: 'vat20', tax_percentage: 20 },
        { item_id: 'i3', rate: 1.25, quantity: 3 },
      ],
      // 29.985 -> 29.99 - 3 = 26.99; 10.00 (+2.00 tax); 3.75: 40.74 + 2.00 = 42.74
      sub_total: 40.74,
      tax_total: 2,
      total: 42.74,
    });
  });

  it("sends the CRM document's custom fields (cf_*) as Books custom fields, and none when it has none", () => {
    const mapped = toBooksDocument({
      kind: 'estimate',
      crm: quote({ cf_delivery: 'Courier', Region: 'North' }),
      links: linked,
      ...base,
    });
    expect(mapped).toMatchObject({
      ok: true,
      books: { custom_fields: [{ api_name: 'cf_delivery', value: 'Courier' }] },
    });
    const plain = toBooksDocument({ kind: 'estimate', crm: quote(), links: linked, ...base });
    expect(plain.ok && 'custom_fields' in plain.books).toBe(false);
  });

  it.each<[string, number, string, number]>([
    ['a 0-decimal currency', 1234.5, 'JPY', 3704],
    ['a 3-decimal currency', 1.2345, 'KWD', 3.704],
  ])('rounds by %s', (_name, price, currency, total) => {
    const crm = quote({ Currency: currency, Quoted_Items: [line('p1', { Quantity: 3, List_Price: price })] });
    const mapped = toBooksDocument({ kind: 'estimate', crm, links: linked, ...base });
    expect(mapped.ok && mapped.books.total).toBe(total);
  });

  it('maps a purchase order to its vendor with an invoice-free shape', () => {
    const crm = {
      id: 'po1',
      Subject: 'PO',
      PO_Date: '2026-11-02',
      Vendor_Name: { id: 'v1', name: 'V' },
      Purchase_Items: [line('p1')],
    };
    const mapped = toBooksDocument({
      kind: 'purchaseorder',
      crm,
      links: { party: 'bv1', items: { p1: 'i1' } },
      ...base,
    });
    expect(mapped.ok && mapped.books).toMatchObject({
      purchaseorder_id: 'cbs-books-1',
      vendor_id: 'bv1',
      date: '2026-11-02',
      total: 10,
    });
  });

  it('starts an invoice with its whole total as balance', () => {
    const crm = {
      id: 'inv1',
      Subject: 'I',
      Account_Name: { id: 'a1' },
      Invoice_Date: '2026-12-01',
      Due_Date: '2026-12-31',
      Invoiced_Items: [line('p1')],
    };
    const mapped = toBooksDocument({ kind: 'invoice', crm, links: linked, ...base });
    expect(mapped.ok && mapped.books).toMatchObject({
      invoice_id: 'cbs-books-1',
      due_date: '2026-12-31',
      total: 10,
      balance: 10,
      payment_made: 0,
    });
  });

  it.each<[string, Record<string, unknown>, DocumentLinks, string[]]>([
    ['a customer not in Books', quote(), { ...linked, party: undefined }, ['Account_Name']],
    [
      'an item not in Books',
      quote(),
      { party: 'c1', items: { p1: 'i1', p2: 'i2' } },
      ['Quoted_Items.2.Product_Name'],
    ],
    [
      'a tax the org does not have',
      quote({ Quoted_Items: [line('p1', { Tax: 7 })] }),
      linked,
      ['Quoted_Items.0.Tax'],
    ],
    ['a currency the org has not enabled', quote({ Currency: 'GBP' }), linked, ['currency_code']],
    ['a document discount with line discounts', quote({ Discount: 5 }), linked, ['discount']],
  ])('refuses %s, with the field', (_name, crm, links, fields) => {
    const mapped = toBooksDocument({ kind: 'estimate', crm, links, ...base });
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.problems.map((p) => p.field)).toEqual(fields);
    expect(mapped.problems.every((p) => p.reason.length > 0)).toBe(true);
  });
});

describe('pullBack', () => {
  const invoice = {
    invoice_id: 'b1',
    invoice_number: 'INV-1',
    customer_id: 'c1',
    date: '2026-12-01',
    due_date: '2026-12-31',
    total: 100,
    sub_total: 100,
    tax_total: 0,
  };
  const paid = (...amounts: number[]) =>
    amounts.map((amount, i) => ({
      payment_id: `pay${i}`,
      invoices: [{ invoice_id: 'b1', amount_applied: amount }],
    }));
  const settlement = (...amounts: number[]) => ({
    payments: paid(...amounts),
    credits: [],
    refunds: [],
    asOf: '2026-12-07',
  });

  it.each<[string, string, number[], string, number, number]>([
    ['sent, nothing paid', 'sent', [], 'sent', 100, 0],
    ['paid in part', 'sent', [40], 'partially_paid', 60, 40],
    ['paid in two parts', 'partially_paid', [40, 60], 'paid', 0, 100],
  ])('an invoice %s', (_name, before, amounts, status, balance, paidAmount) => {
    const back = pullBack({
      kind: 'invoice',
      crm: { Status: before },
      books: { ...invoice, status: 'sent' },
      org: BOOKS_ORG,
      settlement: settlement(...amounts),
    });
    expect(back).toEqual({
      ok: true,
      status,
      fields: {
        Books_Id: 'b1',
        Status: status,
        Sub_Total: 100,
        Tax: 0,
        Grand_Total: 100,
        Balance: balance,
        Payment_Made: paidAmount,
      },
    });
  });

  it('brings back an estimate status', () => {
    const back = pullBack({
      kind: 'estimate',
      crm: { Status: 'sent' },
      books: { estimate_id: 'e1', status: 'accepted', total: 5 },
      org: BOOKS_ORG,
    });
    expect(back).toMatchObject({ ok: true, fields: { Books_Id: 'e1', Status: 'accepted', Grand_Total: 5 } });
  });

  it("brings back the Books document's custom fields, each as the CRM field of its API name (S4.2)", () => {
    const back = pullBack({
      kind: 'estimate',
      crm: { Status: 'draft', cf_delivery: 'Post' },
      books: {
        estimate_id: 'e1',
        status: 'draft',
        custom_fields: [
          { customfield_id: 'f1', api_name: 'cf_delivery', label: 'Delivery', value: 'Courier' },
          { customfield_id: 'f2', label: 'Site Code' },
        ],
      },
      org: BOOKS_ORG,
    });
    expect(back).toMatchObject({ ok: true, fields: { cf_delivery: 'Courier', cf_site_code: null } });
  });

  it('refuses an illegal change with its reason', () => {
    const back = pullBack({
      kind: 'invoice',
      crm: { Status: 'paid' },
      books: { ...invoice, status: 'void' },
      org: BOOKS_ORG,
    });
    expect(back).toMatchObject({
      ok: false,
      problems: [{ field: 'status', reason: expect.stringMatching(/credit note/) }],
    });
  });
});
