import type { BooksOrgSettings } from '../../../../domain/finance/posting-checks';

/**
 * The Books organization the finance tests post to: USD base, a 0- and a 3-decimal currency enabled, two
 * taxes. GBP is left out on purpose, as a currency the org has not enabled.
 */
export const BOOKS_ORG: BooksOrgSettings = {
  organization: { currency_code: 'USD', price_precision: 2, tax_rounding: 'entity_level' },
  currencies: [
    { currency_code: 'USD', price_precision: 2 },
    { currency_code: 'EUR', price_precision: 2 },
    { currency_code: 'JPY', price_precision: 0 },
    { currency_code: 'KWD', price_precision: 3 },
  ],
  taxes: [
    { tax_id: 'vat20', tax_name: 'VAT', tax_percentage: 20 },
    { tax_id: 'gst5', tax_name: 'GST', tax_percentage: 5 },
  ],
};
