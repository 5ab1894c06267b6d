import { checkBeforePosting, currencyOf } from '../../../../domain/finance/posting-checks';
import { BOOKS_ORG } from './books-org';

const org = BOOKS_ORG;

const line = { item_id: 'i1', rate: 10, quantity: 2, tax_id: 'vat20' };

describe('currencyOf', () => {
  it.each([
    ['USD', { code: 'USD', decimals: 2 }],
    ['JPY', { code: 'JPY', decimals: 0 }],
    ['KWD', { code: 'KWD', decimals: 3 }],
    ['GBP', undefined],
  ])('%s -> %j', (code, currency) => {
    expect(currencyOf(org, code)).toEqual(currency);
  });

  it('takes the base currency even when the list of currencies leaves it out', () => {
    expect(currencyOf({ ...org, currencies: [] }, 'USD')).toEqual({ code: 'USD', decimals: 2 });
  });
});

describe('checkBeforePosting', () => {
  it.each([
    ['the base currency by default', {}, 2400],
    ['an enabled currency', { currency_code: 'EUR', exchange_rate: 1.1 }, 2400],
    ['a 0-decimal currency', { currency_code: 'JPY', line_items: [{ ...line, rate: 999.5 }] }, 2399],
    ['a 3-decimal currency', { currency_code: 'KWD', line_items: [{ ...line, rate: 1.2345 }] }, 2963],
    ['a tax given with its rate', { line_items: [{ ...line, tax_percentage: 20 }] }, 2400],
    ['an entity-level discount', { discount_type: 'entity_level', discount: '50%' }, 1200],
    [
      'item-level discounts',
      { discount_type: 'item_level', line_items: [{ ...line, discount: '50%' }] },
      1200,
    ],
  ])('accepts %s, with its total', (_name, extra, total) => {
    const result = checkBeforePosting({ line_items: [line], ...extra }, org);
    expect(result.ok && result.totals.total).toBe(total);
  });

  it.each([
    [
      'a currency the org has not enabled',
      { currency_code: 'GBP' },
      [
        {
          field: 'currency_code',
          reason: 'GBP is not enabled in the Books organization (enabled: USD, EUR, JPY, KWD)',
        },
      ],
    ],
    [
      'a tax the org does not have',
      { line_items: [line, { ...line, tax_id: 'sales9' }] },
      [{ field: 'line_items.1.tax_id', reason: 'tax "sales9" does not exist in the Books organization' }],
    ],
    [
      "a tax at another rate than the org's",
      { line_items: [{ ...line, tax_percentage: 19 }] },
      [{ field: 'line_items.0.tax_percentage', reason: 'is 19, but VAT is 20% in the Books organization' }],
    ],
    [
      'a document discount with item-level discounts',
      { discount_type: 'item_level', discount: '10%' },
      [{ field: 'discount', reason: 'must be empty: discount_type is item_level' }],
    ],
    [
      'a line discount with an entity-level discount',
      { discount_type: 'entity_level', line_items: [{ ...line, discount: 2 }] },
      [{ field: 'line_items.0.discount', reason: 'must be empty: discount_type is entity_level' }],
    ],
    [
      'a discount after tax with inclusive rates',
      { is_inclusive_tax: true, is_discount_before_tax: false },
      [
        {
          field: 'is_discount_before_tax',
          reason: 'a discount after tax is not possible with tax-inclusive rates',
        },
      ],
    ],
    [
      'a discount larger than what it applies to',
      { discount: 500 },
      [{ field: 'line_items', reason: 'discount of 500.00 exceeds the amount it applies to (20.00)' }],
    ],
    ['no line', { line_items: [] }, [{ field: 'line_items', reason: 'must have at least 1 item(s)' }]],
    [
      'a line without a rate',
      { line_items: [{ item_id: 'i1', quantity: 1 }] },
      [{ field: 'line_items.0.rate', reason: 'required' }],
    ],
  ])('refuses %s, with the field and the reason', (_name, extra, problems) => {
    expect(checkBeforePosting({ line_items: [line], ...extra }, org)).toEqual({ ok: false, problems });
  });

  it('reports every problem at once', () => {
    const result = checkBeforePosting(
      {
        currency_code: 'GBP',
        line_items: [{ ...line, tax_id: 'nope' }],
        discount_type: 'item_level',
        discount: 1,
      },
      org,
    );
    expect(result.ok || result.problems.map((p) => p.field)).toEqual([
      'currency_code',
      'line_items.0.tax_id',
      'discount',
    ]);
  });

  it('refuses when the org has no tax rounding setting to follow', () => {
    const noRounding = { ...org, organization: { currency_code: 'USD' } };
    expect(checkBeforePosting({ line_items: [line] }, noRounding)).toEqual({
      ok: false,
      problems: [{ field: 'tax_rounding', reason: "the Books organization's tax rounding is not known" }],
    });
  });

  it('refuses keys MongoDB would read as operators', () => {
    const result = checkBeforePosting({ line_items: [line], $where: 'x' }, org);
    expect(result.ok).toBe(false);
  });
});
