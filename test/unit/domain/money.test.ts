import {
  compareAmounts,
  convertMinor,
  currencyDecimals,
  fromMinor,
  invoiceTotals,
  lineAmounts,
  lineTotal,
  minorToNumber,
  MoneyError,
  parseDiscount,
  sumAmounts,
  toMinor,
  type InvoiceTotalsInput,
  type RoundingMode,
} from '../../../domain/money';
import invoicesResponse from '../../fixtures/books-invoices-response.json';

describe('currencyDecimals', () => {
  it.each([
    ['USD', 2],
    ['EUR', 2],
    ['INR', 2],
    ['GBP', 2],
    ['JPY', 0],
    ['KRW', 0],
    ['KWD', 3],
    ['BHD', 3],
    ['OMR', 3],
  ])('%s has %i decimals', (code, decimals) => {
    expect(currencyDecimals(code)).toBe(decimals);
  });

  it('takes an explicit precision (a Books currency price_precision)', () => {
    expect(currencyDecimals({ code: 'XYZ', decimals: 3 })).toBe(3);
  });

  it.each([['XYZ'], ['usd'], [''], ['toString'], ['__proto__']])(
    'refuses the unknown currency %j',
    (code) => {
      expect(() => currencyDecimals(code)).toThrow(MoneyError);
      expect(() => currencyDecimals(code)).toThrow(/unknown currency/);
    },
  );

  it.each([[-1], [1.5], [9]])('refuses %j decimals', (decimals) => {
    expect(() => currencyDecimals({ decimals })).toThrow('currency decimals');
  });
});

describe('toMinor', () => {
  it.each<[string | number, string, number, RoundingMode?]>([
    ['19.99', 'USD', 1999],
    [19.99, 'USD', 1999],
    ['0.1', 'USD', 10],
    ['  12.30 ', 'EUR', 1230],
    ['.5', 'USD', 50],
    ['7.', 'USD', 700],
    ['-19.99', 'USD', -1999],
    ['1e3', 'USD', 100000],
    [1e-7, 'USD', 0],
    ['2.5E-1', 'USD', 25],
    ['1999', 'JPY', 1999],
    ['1.234', 'KWD', 1234],
    // One rounding, half-up (ties away from zero), where a float would have drifted:
    [1.005, 'USD', 101],
    [2.675, 'USD', 268],
    ['1.005', 'USD', 101],
    ['-1.005', 'USD', -101],
    ['1999.5', 'JPY', 2000],
    ['1.2345', 'KWD', 1235],
    // half-even where configured:
    ['0.125', 'USD', 12, 'half_even'],
    ['0.135', 'USD', 14, 'half_even'],
    ['-0.125', 'USD', -12, 'half_even'],
    ['0.125', 'USD', 13, 'half_up'],
    ['1999.5', 'JPY', 2000, 'half_even'],
    ['1998.5', 'JPY', 1998, 'half_even'],
    ['1.2345', 'KWD', 1234, 'half_even'],
  ])('%j %s -> %i', (amount, currency, minor, mode: RoundingMode = 'half_up') => {
    expect(toMinor(amount, currency, mode)).toBe(minor);
  });

  it('adds 0.1 and 0.2 exactly', () => {
    expect(toMinor(0.1, 'USD') + toMinor(0.2, 'USD')).toBe(toMinor(0.3, 'USD'));
    expect(toMinor(0.1 + 0.2, 'USD')).toBe(30);
    expect(sumAmounts([0.1, 0.2])).toBe('0.3');
    expect(sumAmounts(['19.99', '0.01', -5])).toBe('15');
  });

  it.each([['abc'], [''], ['1,000.00'], ['1.2.3'], ['--1'], ['1e'], ['$5'], [Number.NaN], [Infinity]])(
    'refuses %j',
    (amount) => {
      expect(() => toMinor(amount, 'USD')).toThrow(MoneyError);
    },
  );

  it('refuses amounts too large to hold exactly', () => {
    expect(() => toMinor('1e20', 'USD')).toThrow('too large');
  });

  it('refuses an unknown currency', () => {
    expect(() => toMinor('1', 'ABC')).toThrow('unknown currency "ABC"');
  });
});

describe('fromMinor', () => {
  it.each([
    [1999, 'USD', '19.99'],
    [5, 'USD', '0.05'],
    [-5, 'USD', '-0.05'],
    [0, 'USD', '0.00'],
    [100000, 'EUR', '1000.00'],
    [1999, 'JPY', '1999'],
    [1235, 'KWD', '1.235'],
    [-1, 'BHD', '-0.001'],
  ])('%i %s -> %s', (minor, currency, text) => {
    expect(fromMinor(minor, currency)).toBe(text);
  });

  it('round-trips with toMinor', () => {
    for (const text of ['0.00', '0.01', '19.99', '-123456.78'])
      expect(fromMinor(toMinor(text, 'USD'), 'USD')).toBe(text);
  });

  it('gives JSON numbers for API bodies', () => {
    expect(minorToNumber(1999, 'USD')).toBe(19.99);
    expect(minorToNumber(1235, 'KWD')).toBe(1.235);
  });

  it.each([[1.5], [Number.MAX_SAFE_INTEGER + 1]])('refuses %j minor units', (minor) => {
    expect(() => fromMinor(minor, 'USD')).toThrow('safe integer');
  });
});

describe('compareAmounts', () => {
  it.each<[string | number, string | number, number]>([
    ['10.00', 10, 0],
    ['9.999', '10', -1],
    ['-1', '-1.5', 1],
    [0.1 + 0.2, 0.3, 1],
  ])('%j vs %j -> %i', (a, b, result) => {
    expect(compareAmounts(a, b)).toBe(result);
  });
});

describe('parseDiscount', () => {
  it.each([
    ['10%', { kind: 'percentage', value: '10' }],
    [' 7.50 % ', { kind: 'percentage', value: '7.5' }],
    ['0%', { kind: 'percentage', value: '0' }],
    ['100%', { kind: 'percentage', value: '100' }],
    ['12.50', { kind: 'amount', value: '12.5' }],
    [12.5, { kind: 'amount', value: '12.5' }],
    [0, { kind: 'amount', value: '0' }],
    ['', { kind: 'amount', value: '0' }],
    [
      { kind: 'percentage', value: '15.0' },
      { kind: 'percentage', value: '15' },
    ],
  ] as const)('%j -> %j', (input, discount) => {
    expect(parseDiscount(input)).toEqual(discount);
  });

  it.each([['-5'], [-5], ['101%'], ['abc%'], ['%'], ['ten']])('refuses %j', (input) => {
    expect(() => parseDiscount(input)).toThrow(MoneyError);
  });
});

describe('lineTotal', () => {
  it.each<[string | number, string | number, string, number, RoundingMode?]>([
    ['19.99', '1', 'USD', 1999],
    ['19.99', '1.5', 'USD', 2999],
    ['19.99', '1.5', 'USD', 2998, 'half_even'],
    [120, 1.5, 'USD', 18000],
    ['0.333', 3, 'USD', 100],
    [0.1, 3, 'USD', 30],
    ['249.99', 4, 'USD', 99996],
    [1500, 2.5, 'JPY', 3750],
    [333, '0.5', 'JPY', 167],
    [333, '0.5', 'JPY', 166, 'half_even'],
    ['1.2345', 2, 'KWD', 2469],
    ['12.345', '0.5', 'BHD', 6173],
    ['10', 0, 'USD', 0],
  ])('%j x %j %s -> %i', (rate, quantity, currency, minor, roundingMode: RoundingMode = 'half_up') => {
    expect(lineTotal({ rate, quantity, currency, roundingMode })).toBe(minor);
  });

  it.each([
    ['10%', { gross: 99996, discount: 10000, item_total: 89996 }],
    ['12.5%', { gross: 99996, discount: 12500, item_total: 87496 }],
    ['100%', { gross: 99996, discount: 99996, item_total: 0 }],
    [50, { gross: 99996, discount: 5000, item_total: 94996 }],
    ['0.005', { gross: 99996, discount: 1, item_total: 99995 }],
  ] as const)('applies the item discount %j', (discount, amounts) => {
    expect(lineAmounts({ rate: '249.99', quantity: 4, discount, currency: 'USD' })).toEqual(amounts);
  });

  it.each([
    [{ rate: '10', quantity: -1 }, 'quantity must not be negative'],
    [{ rate: '-10', quantity: 1 }, 'rate must not be negative'],
    [{ rate: '10', quantity: 1, discount: 10.01 }, 'exceeds the amount'],
    [{ rate: '10', quantity: 1, discount: '150%' }, 'at most 100%'],
    [{ rate: 'ten', quantity: 1 }, 'rate is not a decimal number'],
  ])('refuses %j', (line, message) => {
    expect(() => lineTotal({ ...line, currency: 'USD' })).toThrow(message);
  });
});

describe('invoiceTotals', () => {
  const three = [1, 2, 3].map(() => ({ rate: '1.15', quantity: 1, tax_percentage: '7.5' }));

  it.each<[string, InvoiceTotalsInput, Partial<ReturnType<typeof invoiceTotals>>]>([
    [
      'rounds tax per line at item level',
      { currency: 'USD', lines: three, taxRounding: 'item_level' },
      { sub_total: 345, tax_total: 27, total: 372 },
    ],
    [
      'rounds the tax sum once at entity level',
      { currency: 'USD', lines: three, taxRounding: 'entity_level' },
      { sub_total: 345, tax_total: 26, total: 371 },
    ],
    [
      'applies a percentage discount before tax',
      {
        currency: 'USD',
        lines: [{ rate: 100, quantity: 1, tax_percentage: 10 }],
        discount: '10%',
        taxRounding: 'item_level',
      },
      { sub_total: 10000, discount_total: 1000, tax_total: 900, total: 9900 },
    ],
    [
      'applies a discount after tax',
      {
        currency: 'USD',
        lines: [{ rate: 100, quantity: 1, tax_percentage: 10 }],
        discount: '10%',
        discountBeforeTax: false,
        taxRounding: 'item_level',
      },
      { sub_total: 10000, discount_total: 1000, tax_total: 1000, total: 10000 },
    ],
    [
      'pro-rates an amount discount over the lines before tax',
      {
        currency: 'USD',
        lines: [
          { rate: 60, quantity: 1, tax_percentage: 10 },
          { rate: 40, quantity: 1, tax_percentage: 20 },
        ],
        discount: 25,
        taxRounding: 'item_level',
      },
      { sub_total: 10000, discount_total: 2500, tax_total: 1050, total: 8550 },
    ],
    [
      'deducts item discounts into the sub-total',
      {
        currency: 'USD',
        lines: [
          { rate: 50, quantity: 2, discount: '10%' },
          { rate: 20, quantity: 1, discount: 5 },
        ],
        taxRounding: 'item_level',
      },
      { sub_total: 10500, item_discount_total: 1500, discount_total: 0, tax_total: 0, total: 10500 },
    ],
    [
      'adds a signed adjustment last',
      {
        currency: 'USD',
        lines: [{ rate: '10.49', quantity: 1 }],
        adjustment: '-0.49',
        taxRounding: 'item_level',
      },
      { sub_total: 1049, adjustment: -49, total: 1000 },
    ],
    [
      'works in JPY',
      {
        currency: 'JPY',
        lines: [{ rate: 1500, quantity: 3, tax_percentage: 10 }],
        taxRounding: 'entity_level',
      },
      { sub_total: 4500, tax_total: 450, total: 4950 },
    ],
    [
      'works in KWD with three places, half-up',
      {
        currency: 'KWD',
        lines: [{ rate: '12.345', quantity: 2, tax_percentage: 5 }],
        taxRounding: 'item_level',
      },
      { sub_total: 24690, tax_total: 1235, total: 25925 },
    ],
    [
      'works in KWD with three places, half-even',
      {
        currency: 'KWD',
        lines: [{ rate: '12.345', quantity: 2, tax_percentage: 5 }],
        taxRounding: 'item_level',
        roundingMode: 'half_even',
      },
      { sub_total: 24690, tax_total: 1234, total: 25924 },
    ],
    [
      'looks tax rates up by tax_id',
      {
        currency: 'INR',
        lines: [
          { rate: 1000, quantity: 1, tax_id: 'gst18' },
          { rate: 500, quantity: 1, tax_id: 'gst5' },
        ],
        taxes: { gst18: 18, gst5: '5' },
        taxRounding: 'item_level',
      },
      { sub_total: 150000, tax_total: 20500, total: 170500 },
    ],
  ])('%s', (_name, input, expected) => {
    expect(invoiceTotals(input)).toMatchObject(expected);
  });

  it('reports each tax once, and per-line tax only at item level', () => {
    const input: InvoiceTotalsInput = {
      currency: 'USD',
      lines: [
        { rate: '1.15', quantity: 1, tax_id: 't1', tax_percentage: 7.5 },
        { rate: '1.15', quantity: 1, tax_id: 't1', tax_percentage: 7.5 },
        { rate: '2.00', quantity: 1, tax_percentage: 20 },
        { rate: '3.00', quantity: 1 },
      ],
      taxRounding: 'item_level',
    };
    const itemLevel = invoiceTotals(input);
    expect(itemLevel.taxes).toEqual([
      { tax_id: 't1', tax_percentage: '7.5', tax_amount: 18 },
      { tax_percentage: '20', tax_amount: 40 },
    ]);
    expect(itemLevel.lines.map((l) => l.tax_amount)).toEqual([9, 9, 40, undefined]);

    const entityLevel = invoiceTotals({ ...input, taxRounding: 'entity_level' });
    expect(entityLevel.taxes[0]).toEqual({ tax_id: 't1', tax_percentage: '7.5', tax_amount: 17 });
    expect(entityLevel.lines.every((l) => l.tax_amount === undefined)).toBe(true);
    expect(entityLevel.total).toBe(entityLevel.sub_total + entityLevel.tax_total);
  });

  it('agrees with the totals of the Books invoice fixture', () => {
    const invoice = invoicesResponse.invoices[0];
    if (!invoice?.line_items) throw new Error('fixture has no line items');
    const totals = invoiceTotals({
      currency: invoice.currency_code,
      discount: invoice.discount,
      discountBeforeTax: invoice.is_discount_before_tax,
      taxRounding: 'item_level',
      lines: invoice.line_items.map((line) => ({
        rate: line.rate,
        quantity: line.quantity,
        discount: line.discount,
        tax_id: line.tax_id,
        tax_percentage: line.tax_id ? line.tax_percentage : null,
      })),
    });
    expect(totals).toMatchObject({
      sub_total: toMinor(invoice.sub_total, 'USD'),
      discount_total: toMinor(invoice.discount_amount, 'USD'),
      tax_total: toMinor(invoice.tax_total, 'USD'),
      total: toMinor(invoice.total, 'USD'),
    });
    expect(totals.lines.map((l) => l.item_total)).toEqual(
      invoice.line_items.map((l) => toMinor(l.item_total, 'USD')),
    );
  });

  it.each<[string, Partial<InvoiceTotalsInput>, string]>([
    ['an unknown tax_id', { lines: [{ rate: 1, quantity: 1, tax_id: 'nope' }] }, 'unknown tax_id "nope"'],
    ['a negative tax', { lines: [{ rate: 1, quantity: 1, tax_percentage: -5 }] }, 'must not be negative'],
    ['a discount above the sub-total', { lines: [{ rate: 1, quantity: 1 }], discount: 2 }, 'exceeds'],
    ['a negative quantity', { lines: [{ rate: 1, quantity: -2 }] }, 'quantity must not be negative'],
    ['an unknown currency', { currency: 'ZZZ' }, 'unknown currency'],
    ['an unknown tax rounding', { taxRounding: 'per_line' as never }, 'taxRounding'],
  ])('refuses %s', (_name, override, message) => {
    const input: InvoiceTotalsInput = { currency: 'USD', lines: [], taxRounding: 'item_level', ...override };
    expect(() => invoiceTotals(input)).toThrow(message);
  });

  it('returns zeros for no lines', () => {
    expect(invoiceTotals({ currency: 'EUR', lines: [], taxRounding: 'entity_level' })).toEqual({
      sub_total: 0,
      discount_total: 0,
      item_discount_total: 0,
      tax_total: 0,
      adjustment: 0,
      total: 0,
      lines: [],
      taxes: [],
    });
  });
});

describe('convertMinor', () => {
  it.each<[number, string, string, string | number, number]>([
    [10000, 'USD', 'INR', '83.12', 831200],
    [100, 'EUR', 'JPY', '161.234', 161],
    [150, 'EUR', 'JPY', '161.234', 242],
    [1000, 'KWD', 'USD', 3.25, 325],
    [1999, 'USD', 'USD', 1, 1999],
  ])('%i %s -> %s at %j = %i', (minor, from, to, exchangeRate, result) => {
    expect(convertMinor({ minor, from, to, exchangeRate })).toBe(result);
  });

  it.each([[0], ['-1'], ['x']])('refuses the exchange rate %j', (exchangeRate) => {
    expect(() => convertMinor({ minor: 1, from: 'USD', to: 'EUR', exchangeRate })).toThrow(MoneyError);
  });
});
