import {
  customerPaymentsOf,
  customerReceivables,
  invoiceRecordsOf,
  type CustomerPayments,
} from '../../../../domain/finance/ledger';
import { BOOKS_ORG } from './books-org';

const AS_OF = '2026-06-30';

/** A sent USD invoice of `total` due `due`, as the Books store holds it (its stored balance lags). */
const invoice = (id: string, total: number, due: string, extra: Record<string, unknown> = {}) => ({
  invoice_id: id,
  status: 'sent',
  date: '2026-01-01',
  due_date: due,
  total,
  balance: total,
  currency_code: 'USD',
  ...extra,
});
const payment = (id: string, parts: [string, number][], extra: Record<string, unknown> = {}) => ({
  payment_id: id,
  customer_id: 'cust1',
  payment_mode: 'cash',
  amount: parts.reduce((sum, [, amount]) => sum + amount, 0),
  date: '2026-06-01',
  invoices: parts.map(([invoice_id, amount_applied]) => ({ invoice_id, amount_applied })),
  ...extra,
});
const credit = (invoiceId: string, amount: number) => ({
  creditnote_id: 'cn1',
  invoice_id: invoiceId,
  date: '2026-06-02',
  amount_applied: amount,
});
const refund = (paymentId: string, invoiceId: string, amount: number) => ({
  payment_refund_id: `r-${paymentId}`,
  payment_id: paymentId,
  invoice_id: invoiceId,
  date: '2026-06-03',
  amount,
});

const paid = (...docs: Record<string, unknown>[]): CustomerPayments => {
  const parsed = customerPaymentsOf(docs);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed;
};

describe('customerPaymentsOf: payments and the refunds they list', () => {
  it('collects every payment and its refunds', () => {
    const p1 = payment('p1', [['i1', 40]], { payment_refunds: [refund('p1', 'i1', 10)] });
    const parsed = customerPaymentsOf([p1, payment('p2', [['i1', 5]])]);
    expect(parsed).toMatchObject({ ok: true, refunds: [{ payment_refund_id: 'r-p1', amount: 10 }] });
    expect(parsed.ok && parsed.payments.map((p) => p.payment_id)).toEqual(['p1', 'p2']);
  });
  it.each([
    [
      'a refund without an amount',
      { payment_refunds: [{ payment_refund_id: 'r', payment_id: 'p1', date: '2026-06-03' }] },
      'payments.0.payment_refunds.0.amount',
    ],
    ['refunds that are no list', { payment_refunds: 'ten' }, 'payments.0.payment_refunds'],
    ['a payment without its mode', { payment_mode: '' }, 'payments.0'],
  ])('refuses %s, naming the field', (_name, extra, field) => {
    const parsed = customerPaymentsOf([payment('p1', [['i1', 40]], extra)]);
    expect(parsed).toMatchObject({ ok: false, problems: [{ field }] });
  });
});

describe('invoiceRecordsOf: what settles one invoice', () => {
  it('takes the credits the invoice lists, and every payment and refund of its customer', () => {
    const records = invoiceRecordsOf(
      invoice('i1', 100, AS_OF, { credits: [credit('i1', 25)] }),
      paid(payment('p1', [['i1', 40]])),
    );
    expect(records).toMatchObject({
      ok: true,
      records: { credits: [{ amount_applied: 25 }], refunds: [], payments: [{ payment_id: 'p1' }] },
    });
  });
  it('an invoice with no credits listed has none', () => {
    expect(invoiceRecordsOf(invoice('i1', 100, AS_OF), paid())).toMatchObject({
      ok: true,
      records: { credits: [] },
    });
  });
  it('refuses a credit of nothing', () => {
    const records = invoiceRecordsOf(invoice('i1', 100, AS_OF, { credits: [credit('i1', 0)] }), paid());
    expect(records).toMatchObject({ ok: false, problems: [{ field: 'credits.0.amount_applied' }] });
  });
});

describe('customerReceivables: each invoice settled before it is added up', () => {
  const cases: [string, Record<string, unknown>[], CustomerPayments, Record<string, unknown>][] = [
    ['nothing paid', [invoice('i1', 100, AS_OF)], paid(), { sales_total: 10000, outstanding: 10000 }],
    [
      'paid in part: outstanding drops by the payment',
      [invoice('i1', 100, AS_OF)],
      paid(payment('p1', [['i1', 40]])),
      { sales_total: 10000, outstanding: 6000, aging: { current: 6000 } },
    ],
    [
      'paid in full: nothing outstanding, the sale still counts',
      [invoice('i1', 100, AS_OF)],
      paid(payment('p1', [['i1', 40]]), payment('p2', [['i1', 60]])),
      { sales_total: 10000, outstanding: 0 },
    ],
    [
      'a credit note applied lowers what is owed',
      [invoice('i1', 100, AS_OF, { credits: [credit('i1', 30)] })],
      paid(),
      { outstanding: 7000 },
    ],
    [
      'a refund out of a payment reopens the balance',
      [invoice('i1', 100, AS_OF)],
      paid(payment('p1', [['i1', 100]], { payment_refunds: [refund('p1', 'i1', 20)] })),
      { outstanding: 2000 },
    ],
    [
      'aging by due date, a payment on another invoice left there',
      [invoice('i1', 100, '2026-06-10'), invoice('i2', 50, '2026-03-01')],
      paid(payment('p1', [['i2', 10]])),
      { outstanding: 14000, aging: { current: 0, days_1_30: 10000, days_61_90: 0, days_over_90: 4000 } },
    ],
    [
      'drafts and void invoices do not count',
      [invoice('i1', 100, AS_OF, { status: 'draft' }), invoice('i2', 70, AS_OF, { status: 'void' })],
      paid(),
      { sales_total: 0, outstanding: 0 },
    ],
    [
      'an overpaid invoice counts as Books reports it',
      [invoice('i1', 100, AS_OF, { balance: 0, status: 'paid' })],
      paid(payment('p1', [['i1', 150]])),
      { sales_total: 10000, outstanding: 0 },
    ],
  ];
  it.each(cases)('%s', (_name, invoices, payments, figures) => {
    expect(customerReceivables({ invoices, paid: payments, org: BOOKS_ORG, asOf: AS_OF })).toMatchObject({
      ok: true,
      currency: 'USD',
      ...figures,
    });
  });
  it('refuses an invoice in a currency the org has not enabled', () => {
    const result = customerReceivables({
      invoices: [invoice('i1', 100, AS_OF, { currency_code: 'GBP' })],
      paid: paid(),
      org: BOOKS_ORG,
      asOf: AS_OF,
    });
    expect(result).toMatchObject({ ok: false, problems: [{ field: 'invoices.0.currency_code' }] });
  });
});
