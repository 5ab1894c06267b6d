import { applyCredits, refundCreditNote, refundPayment } from '../../../../domain/finance/ledger-entries';

const USD = { code: 'USD', decimals: 2 };

const creditNote = (extra: Record<string, unknown> = {}) => ({
  creditnote_id: 'cn1',
  creditnote_number: 'CN-1',
  customer_id: 'cust1',
  status: 'open',
  total: 50,
  balance: 50,
  ...extra,
});
const invoice = (id: string, extra: Record<string, unknown> = {}) => ({
  invoice_id: id,
  customer_id: 'cust1',
  status: 'sent',
  total: 100,
  ...extra,
});
const entry = (id: string, invoiceId: string, amount: number) => ({
  creditnote_invoice_id: id,
  invoice_id: invoiceId,
  date: '2026-06-02',
  amount_applied: amount,
});
const cnRefund = (id: string, amount: number) => ({
  creditnote_refund_id: id,
  creditnote_id: 'cn1',
  date: '2026-06-04',
  amount,
});
const payment = (extra: Record<string, unknown> = {}) => ({
  payment_id: 'p1',
  customer_id: 'cust1',
  payment_mode: 'cash',
  amount: 100,
  date: '2026-06-01',
  invoices: [{ invoice_id: 'i1', amount_applied: 60 }],
  ...extra,
});
const payRefund = (id: string, amount: number, invoiceId?: string) => ({
  payment_refund_id: id,
  payment_id: 'p1',
  date: '2026-06-05',
  amount,
  ...(invoiceId !== undefined && { invoice_id: invoiceId }),
});

describe("applyCredits: a credit note applied to its customer's invoices", () => {
  it("records the credit on both sides and works out the credit note's balance", () => {
    const applied = applyCredits({
      creditNote: creditNote(),
      invoices: [invoice('i1'), invoice('i2')],
      credits: [entry('c1', 'i1', 20), entry('c2', 'i2', 30)],
      currency: USD,
    });
    expect(applied).toMatchObject({
      ok: true,
      creditNote: {
        balance: 0,
        status: 'closed',
        invoices_credited: [{ invoice_id: 'i1' }, { invoice_id: 'i2' }],
      },
      invoices: [
        { invoice_id: 'i1', credits: [{ creditnote_id: 'cn1', amount_applied: 20 }] },
        { invoice_id: 'i2', credits: [{ creditnote_id: 'cn1', amount_applied: 30 }] },
      ],
    });
  });
  it('recording the same credit again changes nothing (a retry)', () => {
    const first = applyCredits({
      creditNote: creditNote(),
      invoices: [invoice('i1')],
      credits: [entry('c1', 'i1', 20)],
      currency: USD,
    });
    if (!first.ok) throw new Error('refused');
    const again = applyCredits({
      creditNote: first.creditNote,
      invoices: first.invoices,
      credits: [entry('c1', 'i1', 20)],
      currency: USD,
    });
    expect(again).toEqual(first);
  });
  it('only the invoices credited come back, to be written', () => {
    const applied = applyCredits({
      creditNote: creditNote(),
      invoices: [invoice('i1'), invoice('i2')],
      credits: [entry('c1', 'i1', 5)],
      currency: USD,
    });
    expect(applied.ok && applied.invoices.map((i) => i.invoice_id)).toEqual(['i1']);
  });
  it.each([
    ['more than its balance', creditNote(), [invoice('i1')], [entry('c1', 'i1', 50.01)], 'balance'],
    [
      'after a refund took part of it',
      creditNote({ creditnote_refunds: [cnRefund('r1', 40)] }),
      [invoice('i1')],
      [entry('c1', 'i1', 11)],
      'balance',
    ],
    [
      'a draft credit note',
      creditNote({ status: 'draft' }),
      [invoice('i1')],
      [entry('c1', 'i1', 5)],
      'status',
    ],
    ['a void credit note', creditNote({ status: 'void' }), [invoice('i1')], [entry('c1', 'i1', 5)], 'status'],
    ['an invoice not read', creditNote(), [], [entry('c1', 'i9', 5)], 'credits.0.invoice_id'],
    [
      "another customer's invoice",
      creditNote(),
      [invoice('i1', { customer_id: 'cust2' })],
      [entry('c1', 'i1', 5)],
      'credits.0.invoice_id',
    ],
  ])('refuses %s', (_name, note, invoices, credits, field) => {
    expect(applyCredits({ creditNote: note, invoices, credits, currency: USD })).toMatchObject({
      ok: false,
      problems: [{ field }],
    });
  });
});

describe('refundCreditNote: money paid back out of a credit note', () => {
  it.each([
    ['part of it: still open', creditNote(), 20, { ok: true, creditNote: { balance: 30, status: 'open' } }],
    [
      'all that is left: closed',
      creditNote({
        invoices_credited: [
          { creditnote_id: 'cn1', invoice_id: 'i1', date: '2026-06-02', amount_applied: 30 },
        ],
      }),
      20,
      { ok: true, creditNote: { balance: 0, status: 'closed' } },
    ],
    ['more than its balance: refused', creditNote(), 50.01, { ok: false, problems: [{ field: 'balance' }] }],
  ])('%s', (_name, note, amount, expected) => {
    expect(refundCreditNote(note, cnRefund('r1', amount), USD)).toMatchObject(expected);
  });
  it('the same refund recorded twice is one refund', () => {
    const once = refundCreditNote(creditNote(), cnRefund('r1', 20), USD);
    if (!once.ok) throw new Error('refused');
    expect(refundCreditNote(once.creditNote, cnRefund('r1', 20), USD)).toEqual(once);
  });
  it("refuses another credit note's refund", () => {
    expect(refundCreditNote(creditNote(), { ...cnRefund('r1', 5), creditnote_id: 'cn2' }, USD)).toMatchObject(
      {
        ok: false,
        problems: [{ field: 'creditnote_id' }],
      },
    );
  });
});

describe('refundPayment: money paid back out of a customer payment', () => {
  it.each([
    [
      "out of an invoice's part",
      payRefund('r1', 60, 'i1'),
      { ok: true, payment: { payment_refunds: [{ invoice_id: 'i1', amount: 60 }] } },
    ],
    ['out of the unused amount', payRefund('r1', 40), { ok: true }],
    [
      "more than the invoice's part",
      payRefund('r1', 60.01, 'i1'),
      { ok: false, problems: [{ field: 'amount' }] },
    ],
    [
      'an invoice the payment was not applied to',
      payRefund('r1', 1, 'i2'),
      { ok: false, problems: [{ field: 'invoice_id' }] },
    ],
    ['more than the unused amount', payRefund('r1', 40.01), { ok: false, problems: [{ field: 'amount' }] }],
    [
      "another payment's refund",
      { ...payRefund('r1', 1), payment_id: 'p2' },
      { ok: false, problems: [{ field: 'payment_id' }] },
    ],
  ])('%s', (_name, refund, expected) => {
    expect(refundPayment(payment(), refund, USD)).toMatchObject(expected);
  });
  it('refunds add up across calls, each kept once', () => {
    const first = refundPayment(payment(), payRefund('r1', 30, 'i1'), USD);
    if (!first.ok) throw new Error('refused');
    const stored = first.payment as ReturnType<typeof payment>;
    expect(refundPayment(stored, payRefund('r1', 30, 'i1'), USD)).toEqual(first);
    expect(refundPayment(stored, payRefund('r2', 31, 'i1'), USD)).toMatchObject({
      ok: false,
      problems: [{ field: 'amount' }],
    });
  });
});
