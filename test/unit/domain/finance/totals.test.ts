import type { BooksDocumentAmounts } from '../../../../domain/finance/documents';
import { documentTotals, totalsMismatches, type MoneySettings } from '../../../../domain/finance/totals';
import { MoneyError } from '../../../../domain/money';

type Line = BooksDocumentAmounts['line_items'][number];

const doc = (lines: Line[], extra: Partial<BooksDocumentAmounts> = {}): BooksDocumentAmounts => ({
  line_items: lines,
  ...extra,
});

const usd: MoneySettings = { currency: 'USD', taxRounding: 'item_level' };

describe('documentTotals: one line at a time', () => {
  it.each([
    // name, line, settings, inclusive, [item_total, tax_total, total] in minor units
    [
      'decimal quantity, percentage discount, exclusive tax (USD)',
      { item_id: 'i1', rate: 19.99, quantity: 1.5, discount: '10%', tax_percentage: 8.25 },
      usd,
      false,
      // 29.985 -> 29.99; less 10% (2.999 -> 3.00) = 26.99; tax 2.226675 -> 2.23
      [2699, 223, 2922],
    ],
    [
      'amount discount on the line, exclusive tax (USD)',
      { item_id: 'i1', rate: 12.5, quantity: 4, discount: '5.25', tax_percentage: 10 },
      usd,
      false,
      [4475, 448, 4923],
    ],
    [
      'inclusive tax (USD): 18% taken out of 100.00',
      { item_id: 'i1', rate: 100, quantity: 1, tax_percentage: 18 },
      usd,
      true,
      // 100 * 18 / 118 = 15.2542...
      [10000, 1525, 10000],
    ],
    [
      'inclusive tax, decimal quantity and percentage discount (USD)',
      { item_id: 'i1', rate: 19.99, quantity: 1.5, discount: '10%', tax_percentage: 8.25 },
      usd,
      true,
      // 26.99 * 8.25 / 108.25 = 2.0569...
      [2699, 206, 2699],
    ],
    [
      '0-decimal currency, exclusive tax (JPY)',
      { item_id: 'i1', rate: 333, quantity: 2.5, tax_percentage: 10 },
      { currency: 'JPY', taxRounding: 'item_level' },
      false,
      // 832.5 -> 833; tax 83.3 -> 83
      [833, 83, 916],
    ],
    [
      '0-decimal currency, inclusive tax (JPY)',
      { item_id: 'i1', rate: 1100, quantity: 1, tax_percentage: 10 },
      { currency: 'JPY', taxRounding: 'item_level' },
      true,
      [1100, 100, 1100],
    ],
    [
      '3-decimal currency, percentage discount, exclusive tax (KWD)',
      { item_id: 'i1', rate: 1.2345, quantity: 3, discount: '5%', tax_percentage: 5 },
      { currency: 'KWD', taxRounding: 'item_level' },
      false,
      // 3.7035 -> 3.704; less 0.1852 -> 0.185 = 3.519; tax 0.17595 -> 0.176
      [3519, 176, 3695],
    ],
    [
      '3-decimal currency, inclusive tax (KWD)',
      { item_id: 'i1', rate: 1.2345, quantity: 3, discount: '5%', tax_percentage: 5 },
      { currency: 'KWD', taxRounding: 'item_level' },
      true,
      // 3.519 * 5 / 105 = 0.16757...
      [3519, 168, 3519],
    ],
    [
      "the org's precision for a currency (BHD kept at 2 places)",
      { item_id: 'i1', rate: 1.005, quantity: 1, tax_percentage: 10 },
      { currency: { code: 'BHD', decimals: 2 }, taxRounding: 'item_level' },
      false,
      [101, 10, 111],
    ],
    [
      'tax found by tax_id in the org taxes, inclusive',
      { item_id: 'i1', rate: 112.5, quantity: 1, tax_id: 't125' },
      { ...usd, taxes: { t125: '12.5' } },
      true,
      [11250, 1250, 11250],
    ],
    ['no tax', { item_id: 'i1', rate: 7.77, quantity: 3 }, usd, true, [2331, 0, 2331]],
  ] as const)('%s', (_name, line, settings, inclusive, [itemTotal, taxTotal, total]) => {
    const totals = documentTotals(doc([line], { is_inclusive_tax: inclusive }), settings);
    expect(totals.lines[0]?.item_total).toBe(itemTotal);
    expect(totals.tax_total).toBe(taxTotal);
    expect(totals.total).toBe(total);
  });
});

describe('documentTotals: documents', () => {
  const tenAtFivePercent = [1, 2, 3].map((n) => ({
    item_id: `i${n}`,
    rate: 10,
    quantity: 1,
    tax_percentage: 5,
  }));

  it.each([
    // Each line's 0.47619 rounds up; the three together 1.42857 round once.
    ['item_level', 144, [48, 48, 48]],
    ['entity_level', 143, [undefined, undefined, undefined]],
  ] as const)('inclusive tax rounded %s', (taxRounding, taxTotal, lineTaxes) => {
    const totals = documentTotals(doc(tenAtFivePercent, { is_inclusive_tax: true }), {
      currency: 'USD',
      taxRounding,
    });
    expect(totals.tax_total).toBe(taxTotal);
    expect(totals.total).toBe(3000);
    expect(totals.taxes).toEqual([{ tax_percentage: '5', tax_amount: taxTotal }]);
    expect(totals.lines.map((line) => line.tax_amount)).toEqual(lineTaxes);
  });

  it.each([
    // name, extra, [sub_total, discount_total, tax_total, total]
    ['exclusive, entity-level percentage discount before tax', { discount: '10%' }, [3000, 300, 135, 2835]],
    ['exclusive, entity-level amount discount before tax', { discount: 3 }, [3000, 300, 135, 2835]],
    [
      'exclusive, entity-level discount after tax',
      { discount: '10%', is_discount_before_tax: false },
      [3000, 300, 150, 2850],
    ],
    // 27.00 * 5 / 105 = 1.2857...
    ['inclusive, entity-level discount', { discount: '10%', is_inclusive_tax: true }, [3000, 300, 129, 2700]],
    ['inclusive, an adjustment', { is_inclusive_tax: true, adjustment: -0.5 }, [3000, 0, 143, 2950]],
    ['exclusive, an adjustment', { adjustment: 0.25 }, [3000, 0, 150, 3175]],
  ] as const)('%s', (_name, extra, [subTotal, discount, tax, total]) => {
    const totals = documentTotals(doc(tenAtFivePercent, { discount_type: 'entity_level', ...extra }), {
      currency: 'USD',
      taxRounding: 'entity_level',
    });
    expect([totals.sub_total, totals.discount_total, totals.tax_total, totals.total]).toEqual([
      subTotal,
      discount,
      tax,
      total,
    ]);
  });

  it.each([
    // 0.05 at 100% inclusive: exactly 0.025 of tax, a tie; 0.07: 0.035, a tie the other way.
    [0.05, 'half_up', 3],
    [0.05, 'half_even', 2],
    [0.07, 'half_up', 4],
    [0.07, 'half_even', 4],
  ] as const)('inclusive tax on %s rounds %s to %i', (rate, roundingMode, tax) => {
    const line = { item_id: 'i1', rate, quantity: 1, tax_percentage: 100 };
    const totals = documentTotals(doc([line], { is_inclusive_tax: true }), { ...usd, roundingMode });
    expect(totals.tax_total).toBe(tax);
  });

  it.each<[string, Partial<BooksDocumentAmounts>, RegExp]>([
    [
      'a discount after tax with inclusive rates',
      { is_inclusive_tax: true, is_discount_before_tax: false },
      /discount after tax/,
    ],
    [
      'an unknown tax_id',
      { is_inclusive_tax: true, line_items: [{ item_id: 'i', rate: 1, quantity: 1, tax_id: 'nope' }] },
      /unknown tax_id "nope"/,
    ],
    ['a discount larger than the sub-total', { is_inclusive_tax: true, discount: 40 }, /exceeds/],
  ])('refuses %s', (_name, extra, message) => {
    expect(() => documentTotals(doc(tenAtFivePercent, extra), usd)).toThrow(MoneyError);
    expect(() => documentTotals(doc(tenAtFivePercent, extra), usd)).toThrow(message);
  });
});

describe('totalsMismatches', () => {
  const line = { item_id: 'i1', rate: 19.99, quantity: 1.5, discount: '10%', tax_percentage: 8.25 };

  it('finds nothing when Books agrees to the cent', () => {
    const given = doc([line], { sub_total: 26.99, tax_total: 2.23, total: 29.22 });
    expect(totalsMismatches(given, documentTotals(given, usd), 'USD')).toEqual([]);
  });

  it('names each field Books reports otherwise', () => {
    const given = doc([line], { sub_total: 26.99, tax_total: 2.22, total: 29.21 });
    expect(totalsMismatches(given, documentTotals(given, usd), 'USD')).toEqual([
      { field: 'tax_total', reason: 'is 2.22, the lines make it 2.23' },
      { field: 'total', reason: 'is 29.21, the lines make it 29.22' },
    ]);
  });

  it('leaves sub_total alone for inclusive tax', () => {
    const given = doc([line], { is_inclusive_tax: true, sub_total: 24.93, tax_total: 2.06, total: 26.99 });
    expect(totalsMismatches(given, documentTotals(given, usd), 'USD')).toEqual([]);
  });
});
