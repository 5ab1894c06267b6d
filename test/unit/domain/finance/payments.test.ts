import type {
  BooksCreditNoteRefund,
  BooksInvoiceCredit,
  BooksPaymentRefund,
} from '../../../../domain/finance/documents';
import {
  selfChangeAt,
  settleCreditNote,
  settleInvoice,
  unusedPayment,
  type InvoiceSettlementInput,
} from '../../../../domain/finance/payments';

/** A payment of `amount` with parts applied to invoices, as Books lists them. */
const payment = (id: string, amount: number, ...parts: [invoiceId: string, applied: number][]) => ({
  payment_id: id,
  amount,
  invoices: parts.map(([invoice_id, amount_applied]) => ({ invoice_id, amount_applied })),
});

const credit = (creditnoteId: string, invoiceId: string, amount: number): BooksInvoiceCredit => ({
  creditnote_id: creditnoteId,
  invoice_id: invoiceId,
  date: '2026-03-05',
  amount_applied: amount,
});

const paymentRefund = (paymentId: string, amount: number, invoiceId?: string): BooksPaymentRefund => ({
  payment_refund_id: `r-${paymentId}-${amount}`,
  payment_id: paymentId,
  ...(invoiceId === undefined ? {} : { invoice_id: invoiceId }),
  date: '2026-03-10',
  amount,
});

/** Invoice inv1 of 100.00 USD, sent, due 2026-03-31, judged on 2026-03-15 unless a case says otherwise. */
const settle = (over: Partial<InvoiceSettlementInput> & { status?: string; total?: number }) =>
  settleInvoice({
    invoice: {
      invoice_id: 'inv1',
      status: over.status ?? 'sent',
      total: 'total' in over ? over.total : 100,
      date: '2026-03-01',
      due_date: '2026-03-31',
    },
    currency: 'USD',
    payments: over.payments ?? [],
    credits: over.credits ?? [],
    refunds: over.refunds ?? [],
    asOf: over.asOf ?? '2026-03-15',
  });

describe('settleInvoice', () => {
  it.each([
    // name, input, [status, payment_made, credits_applied, balance] in cents
    ['nothing paid', {}, ['sent', 0, 0, 10000]],
    ['paid in full', { payments: [payment('p1', 100, ['inv1', 100])] }, ['paid', 10000, 0, 0]],
    ['paid in part', { payments: [payment('p1', 40, ['inv1', 40])] }, ['partially_paid', 4000, 0, 6000]],
    [
      'paid by several payments, one of them also paying another invoice',
      {
        payments: [
          payment('p1', 30.1, ['inv1', 30.1]),
          payment('p2', 50, ['inv2', 30], ['inv1', 20]),
          payment('p3', 49.9, ['inv1', 49.9]),
        ],
      },
      ['paid', 10000, 0, 0],
    ],
    [
      // 60.7 + 19.1 + 20.2 as floats is 100.00000000000001: summed in cents it is exactly 10000.
      'several small payments add up exactly',
      {
        payments: [
          payment('p1', 60.7, ['inv1', 60.7]),
          payment('p2', 19.1, ['inv1', 19.1]),
          payment('p3', 20.2, ['inv1', 20.2]),
        ],
      },
      ['paid', 10000, 0, 0],
    ],
    ['settled by a credit note', { credits: [credit('cn1', 'inv1', 100)] }, ['paid', 0, 10000, 0]],
    [
      'part paid, part credited',
      {
        payments: [payment('p1', 60, ['inv1', 60])],
        credits: [credit('cn1', 'inv1', 25), credit('cn2', 'inv9', 5)],
      },
      ['partially_paid', 6000, 2500, 1500],
    ],
    [
      'a refund out of its payment reopens a paid invoice',
      {
        status: 'paid',
        payments: [payment('p1', 100, ['inv1', 100])],
        refunds: [paymentRefund('p1', 30, 'inv1')],
      },
      ['partially_paid', 7000, 0, 3000],
    ],
    [
      "a refund out of a payment's unused amount leaves the invoice alone",
      { payments: [payment('p1', 150, ['inv1', 100])], refunds: [paymentRefund('p1', 50)] },
      ['paid', 10000, 0, 0],
    ],
    ['overdue: nothing paid after the due date', { asOf: '2026-04-01' }, ['overdue', 0, 0, 10000]],
    ['not overdue on the due date itself', { asOf: '2026-03-31' }, ['sent', 0, 0, 10000]],
    [
      'overdue: paid in part after the due date',
      { asOf: '2026-04-01', payments: [payment('p1', 40, ['inv1', 40])] },
      ['overdue', 4000, 0, 6000],
    ],
    [
      'paid after the due date is paid, not overdue',
      { status: 'overdue', asOf: '2026-05-01', payments: [payment('p1', 100, ['inv1', 100])] },
      ['paid', 10000, 0, 0],
    ],
    ['a draft stays a draft', { status: 'draft' }, ['draft', 0, 0, 10000]],
    ['a void invoice stays void', { status: 'void' }, ['void', 0, 0, 10000]],
    ["Books' shade of sent (viewed) is read as sent", { status: 'viewed' }, ['sent', 0, 0, 10000]],
  ] as const)('%s', (_name, input, [status, paymentMade, creditsApplied, balance]) => {
    expect(settle(input)).toEqual({
      ok: true,
      status,
      total: 10000,
      payment_made: paymentMade,
      credits_applied: creditsApplied,
      write_off_amount: 0,
      balance,
    });
  });

  it('takes a write-off off the balance', () => {
    const result = settleInvoice({
      invoice: {
        invoice_id: 'inv1',
        status: 'sent',
        total: 100,
        write_off_amount: 0.5,
        date: '2026-03-01',
        due_date: '',
      },
      currency: 'USD',
      payments: [payment('p1', 99.5, ['inv1', 99.5])],
      credits: [],
      refunds: [],
      asOf: '2026-03-15',
    });
    expect(result).toMatchObject({
      ok: true,
      status: 'paid',
      payment_made: 9950,
      write_off_amount: 50,
      balance: 0,
    });
  });

  it.each([
    ['on its date', '2026-03-01', 'sent'],
    ['the day after', '2026-03-02', 'overdue'],
  ])('without a due date it is due on receipt: %s it is %s', (_name, asOf, status) => {
    const result = settleInvoice({
      invoice: { invoice_id: 'inv1', status: 'sent', total: 100, date: '2026-03-01', due_date: '' },
      currency: 'USD',
      payments: [],
      credits: [],
      refunds: [],
      asOf,
    });
    expect(result).toMatchObject({ ok: true, status, balance: 10000 });
  });

  it.each([
    ['a 0-decimal currency (JPY)', 'JPY', 1000, 400, ['partially_paid', 400, 600]],
    ['a 3-decimal currency (KWD)', 'KWD', 10.125, 10.125, ['paid', 10125, 0]],
  ] as const)('in %s', (_name, currency, total, applied, [status, paymentMade, balance]) => {
    const result = settleInvoice({
      invoice: { invoice_id: 'inv1', status: 'sent', total, date: '2026-03-15' },
      currency,
      payments: [payment('p1', applied, ['inv1', applied])],
      credits: [],
      refunds: [],
      asOf: '2026-03-15',
    });
    expect(result).toMatchObject({ ok: true, status, payment_made: paymentMade, balance });
  });

  it.each([
    [
      'more paid than the total',
      { payments: [payment('p1', 120, ['inv1', 120])] },
      [{ field: 'balance', reason: '120.00 applied or refunded out of an invoice of 100.00' }],
    ],
    [
      'more refunded than paid',
      { payments: [payment('p1', 10, ['inv1', 10])], refunds: [paymentRefund('p1', 20, 'inv1')] },
      [{ field: 'refunds', reason: '20.00 refunded, but only 10.00 was paid' }],
    ],
    [
      'a payment on a void invoice',
      { status: 'void', payments: [payment('p1', 10, ['inv1', 10])] },
      [{ field: 'status', reason: 'a void invoice takes no payments or credits' }],
    ],
    [
      'a payment on a draft',
      { status: 'draft', credits: [credit('cn1', 'inv1', 10)] },
      [{ field: 'status', reason: 'a draft invoice takes no payments or credits' }],
    ],
    [
      'an invoice without a total',
      { total: undefined },
      [{ field: 'total', reason: 'the invoice has no total' }],
    ],
    [
      'a status the invoice lifecycle does not know',
      { status: 'bogus' },
      [
        {
          field: 'status',
          reason:
            'unknown invoice status "bogus"; expected one of draft, sent, partially_paid, paid, overdue, void',
        },
      ],
    ],
  ] as const)('refuses %s', (_name, input, problems) => {
    const result = settle(input);
    expect(result).toEqual({ ok: false, problems });
  });
});

describe('settleCreditNote', () => {
  const creditRefund = (amount: number): BooksCreditNoteRefund => ({
    creditnote_refund_id: `cr-${amount}`,
    creditnote_id: 'cn1',
    date: '2026-03-12',
    amount,
  });

  it.each([
    ['nothing used', 'open', [], [], ['open', 0, 0, 5000]],
    ['applied in part', 'open', [credit('cn1', 'inv1', 20)], [], ['open', 2000, 0, 3000]],
    [
      'applied to two invoices and refunded the rest',
      'open',
      [credit('cn1', 'inv1', 20), credit('cn1', 'inv2', 10), credit('cn2', 'inv1', 99)],
      [creditRefund(20)],
      ['closed', 3000, 2000, 0],
    ],
    ['refunded in full', 'open', [], [creditRefund(50)], ['closed', 0, 5000, 0]],
    ['a draft stays a draft', 'draft', [], [], ['draft', 0, 0, 5000]],
  ] as const)('%s', (_name, status, credits, refunds, [after, applied, refunded, balance]) => {
    expect(
      settleCreditNote({
        creditNote: { creditnote_id: 'cn1', status, total: 50 },
        currency: 'USD',
        credits,
        refunds,
      }),
    ).toEqual({ ok: true, status: after, total: 5000, credits_applied: applied, refunded, balance });
  });

  it('refuses more applied and refunded than the credit note holds', () => {
    expect(
      settleCreditNote({
        creditNote: { creditnote_id: 'cn1', status: 'open', total: 50 },
        currency: 'USD',
        credits: [credit('cn1', 'inv1', 40)],
        refunds: [creditRefund(20)],
      }),
    ).toEqual({
      ok: false,
      problems: [{ field: 'balance', reason: '60.00 applied or refunded out of a credit note of 50.00' }],
    });
  });
});

describe('unusedPayment', () => {
  it.each([
    ['all applied', payment('p1', 100, ['inv1', 60], ['inv2', 40]), [], [10000, 10000, 0, 0]],
    ['part unused', payment('p1', 100, ['inv1', 60]), [], [10000, 6000, 0, 4000]],
    [
      'unused part refunded',
      payment('p1', 100, ['inv1', 60]),
      [paymentRefund('p1', 40)],
      [10000, 6000, 4000, 0],
    ],
    [
      "a refund out of an invoice's part or of another payment leaves the unused amount alone",
      payment('p1', 100, ['inv1', 60]),
      [paymentRefund('p1', 10, 'inv1'), paymentRefund('p2', 40)],
      [10000, 6000, 0, 4000],
    ],
  ] as const)('%s', (_name, paid, refunds, [amount, applied, refunded, unused]) => {
    expect(unusedPayment(paid, refunds, 'USD')).toEqual({ ok: true, amount, applied, refunded, unused });
  });

  it('refuses refunds of more than is left', () => {
    expect(unusedPayment(payment('p1', 100, ['inv1', 60]), [paymentRefund('p1', 50)], 'USD')).toEqual({
      ok: false,
      problems: [{ field: 'amount', reason: '110.00 applied or refunded out of a payment of 100.00' }],
    });
  });
});

describe('when a Books document changes by itself', () => {
  const dayAfter = (date: string) => Date.parse(`${date}T00:00:00Z`) + 86_400_000;
  it.each<[string, Parameters<typeof selfChangeAt>[0], Record<string, unknown>, number | null]>([
    [
      'a sent invoice, the day after its due date',
      'invoice',
      { status: 'sent', date: '2026-12-01', due_date: '2026-12-31' },
      dayAfter('2026-12-31'),
    ],
    [
      'a partly paid one likewise',
      'invoice',
      { status: 'partially_paid', due_date: '2026-12-31' },
      dayAfter('2026-12-31'),
    ],
    [
      'a viewed one (a shade of sent)',
      'invoice',
      { status: 'viewed', due_date: '2026-12-31' },
      dayAfter('2026-12-31'),
    ],
    [
      'one without a due date: the day after its date',
      'invoice',
      { status: 'sent', date: '2026-12-01' },
      dayAfter('2026-12-01'),
    ],
    ['a draft invoice: never', 'invoice', { status: 'draft', due_date: '2026-12-31' }, null],
    ['a paid one: never', 'invoice', { status: 'paid', due_date: '2026-12-31' }, null],
    ['an overdue one: never again', 'invoice', { status: 'overdue', due_date: '2026-12-31' }, null],
    ['one with no dates: never', 'invoice', { status: 'sent' }, null],
    ['an estimate: never', 'estimate', { status: 'sent', expiry_date: '2026-12-31' }, null],
    ['a sales order: never', 'salesorder', { status: 'open' }, null],
    ['a purchase order: never', 'purchaseorder', { status: 'open' }, null],
  ])('%s', (_, kind, books, expected) => {
    expect(selfChangeAt(kind, books)).toBe(expected);
  });
});
