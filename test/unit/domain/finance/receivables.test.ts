import {
  accountReceivables,
  agingBucket,
  daysPastDue,
  type ReceivableInvoice,
} from '../../../../domain/finance/receivables';
import { BOOKS_ORG } from './books-org';

const org = BOOKS_ORG;

const AS_OF = '2026-06-30';

/** An invoice in USD due `due`, of `total` with `balance` left. */
const invoice = (
  id: string,
  due: string,
  total: number,
  balance: number,
  extra: Partial<ReceivableInvoice> = {},
) =>
  ({
    invoice_id: id,
    status: balance === 0 ? 'paid' : 'sent',
    date: '2026-01-01',
    due_date: due,
    total,
    balance,
    ...extra,
  }) satisfies ReceivableInvoice;

describe('agingBucket: the boundaries', () => {
  it.each([
    [-10, 'current'],
    [0, 'current'],
    [1, 'days_1_30'],
    [30, 'days_1_30'],
    [31, 'days_31_60'],
    [60, 'days_31_60'],
    [61, 'days_61_90'],
    [90, 'days_61_90'],
    [91, 'days_over_90'],
    [400, 'days_over_90'],
  ] as const)('%i days past due -> %s', (days, bucket) => {
    expect(agingBucket(days)).toBe(bucket);
  });
});

describe('daysPastDue', () => {
  it.each([
    ['due the same day', { date: '2026-06-01', due_date: '2026-06-30' }, AS_OF, 0],
    ['due tomorrow', { date: '2026-06-01', due_date: '2026-07-01' }, AS_OF, -1],
    ['due yesterday', { date: '2026-06-01', due_date: '2026-06-29' }, AS_OF, 1],
    ['across a month end', { date: '2026-05-01', due_date: '2026-05-31' }, AS_OF, 30],
    ['across a leap day', { date: '2028-01-01', due_date: '2028-02-28' }, '2028-03-01', 2],
    ['across a year end', { date: '2026-11-01', due_date: '2026-12-01' }, '2027-03-01', 90],
    ['no due date: counted from its date', { date: '2026-05-31', due_date: '' }, AS_OF, 30],
  ] as const)('%s', (_name, dates, asOf, days) => {
    expect(daysPastDue(dates, asOf)).toBe(days);
  });
});

describe('accountReceivables', () => {
  it('splits what is owed by how late it is, each boundary in its bucket', () => {
    const invoices = [
      invoice('due-today', '2026-06-30', 100, 100),
      invoice('1-day', '2026-06-29', 200, 50.5),
      invoice('30-days', '2026-05-31', 10, 10),
      invoice('31-days', '2026-05-30', 20, 20),
      invoice('60-days', '2026-05-01', 30, 30),
      invoice('61-days', '2026-04-30', 40, 40),
      invoice('90-days', '2026-04-01', 50, 50),
      invoice('91-days', '2026-03-31', 60, 60),
      invoice('paid', '2026-01-31', 1000, 0),
    ];
    expect(accountReceivables(invoices, org, AS_OF)).toEqual({
      ok: true,
      currency: 'USD',
      sales_total: 151000,
      outstanding: 36050,
      aging: {
        current: 10000,
        days_1_30: 5050 + 1000,
        days_31_60: 2000 + 3000,
        days_61_90: 4000 + 5000,
        days_over_90: 6000,
      },
    });
  });

  it('leaves drafts and void invoices out, and reads Books shades of status', () => {
    const invoices = [
      invoice('draft', '2026-06-01', 500, 500, { status: 'draft' }),
      invoice('awaiting approval', '2026-06-01', 500, 500, { status: 'pending_approval' }),
      invoice('void', '2026-06-01', 700, 700, { status: 'void' }),
      invoice('viewed', '2026-07-15', 80, 80, { status: 'viewed' }),
      invoice('part paid', '2026-06-15', 100, 25, { status: 'overdue' }),
    ];
    expect(accountReceivables(invoices, org, AS_OF)).toEqual({
      ok: true,
      currency: 'USD',
      sales_total: 18000,
      outstanding: 10500,
      aging: { current: 8000, days_1_30: 2500, days_31_60: 0, days_61_90: 0, days_over_90: 0 },
    });
  });

  it('converts other currencies to the base currency at each invoice’s rate, buckets adding up', () => {
    const invoices = [
      // 12345 JPY at 0.0067 = 82.7115 -> 82.71 USD
      invoice('jpy', '2026-06-30', 12345, 12345, { currency_code: 'JPY', exchange_rate: 0.0067 }),
      // 10.125 KWD at 3.26 = 33.0075 -> 33.01 USD; 5.005 KWD -> 16.3163 -> 16.32 USD
      invoice('kwd', '2026-05-15', 10.125, 5.005, { currency_code: 'KWD', exchange_rate: 3.26 }),
      invoice('usd', '2026-05-15', 1.99, 1.99, { currency_code: 'USD' }),
    ];
    expect(accountReceivables(invoices, org, AS_OF)).toEqual({
      ok: true,
      currency: 'USD',
      sales_total: 8271 + 3301 + 199,
      outstanding: 8271 + 1632 + 199,
      aging: { current: 8271, days_1_30: 0, days_31_60: 1632 + 199, days_61_90: 0, days_over_90: 0 },
    });
  });

  it('an account with no invoices owes nothing', () => {
    expect(accountReceivables([], org, AS_OF)).toMatchObject({ ok: true, sales_total: 0, outstanding: 0 });
  });

  it.each([
    [
      'a currency the org has not enabled',
      { currency_code: 'GBP', exchange_rate: 1.25 },
      { field: 'invoices.1.currency_code', reason: 'GBP is not enabled in the Books organization' },
    ],
    [
      'a foreign invoice without its exchange rate',
      { currency_code: 'JPY' },
      { field: 'invoices.1.exchange_rate', reason: 'an invoice in JPY needs its exchange rate to USD' },
    ],
    [
      'an invoice without its balance',
      { balance: undefined },
      { field: 'invoices.1.balance', reason: 'the invoice has no balance' },
    ],
  ] as const)('refuses %s, naming the invoice', (_name, extra, problem) => {
    const invoices = [invoice('ok', '2026-06-30', 10, 10), invoice('bad', '2026-06-30', 10, 10, extra)];
    expect(accountReceivables(invoices, org, AS_OF)).toEqual({ ok: false, problems: [problem] });
  });
});
