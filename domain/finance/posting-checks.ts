import type { BooksCurrency, BooksOrganization, BooksTax } from '../books-schemas';
import { compareAmounts, MoneyError, type CurrencyLike, type InvoiceTotals } from '../money';
import { problemsOf, type FieldProblem } from '../validation';
import { BooksDocumentAmountsSchema, type BooksDocumentAmounts } from './documents';
import { documentTotals, NO_DISCOUNT_AFTER_INCLUSIVE_TAX, type MoneySettings } from './totals';

/*
 * Validation of a document against the Books organization's settings before it is posted (S9.6): a currency
 * the org has not enabled, a tax it does not have, a discount its discount type does not allow. Every
 * problem is reported at once, as validation.ts reports a record's (dotted field, reason), so a refused
 * document is fixed in one pass and reprocessed.
 */

/** What of the Books org's settings the checks read: its base currency, enabled currencies and taxes. */
export interface BooksOrgSettings {
  organization: Pick<BooksOrganization, 'currency_code' | 'price_precision' | 'tax_rounding'>;
  currencies: readonly Pick<BooksCurrency, 'currency_code' | 'price_precision'>[];
  taxes: readonly Pick<BooksTax, 'tax_id' | 'tax_name' | 'tax_percentage'>[];
}

export type PostingCheck =
  | { ok: true; doc: BooksDocumentAmounts; totals: InvoiceTotals; settings: MoneySettings }
  | { ok: false; problems: FieldProblem[] };

/**
 * A currency as the org keeps it: its code with the org's precision for it, or undefined when the org has
 * not enabled it. The base currency is always enabled.
 */
export function currencyOf(org: BooksOrgSettings, code: string): CurrencyLike | undefined {
  const enabled = org.currencies.find((currency) => currency.currency_code === code);
  if (enabled !== undefined) return { code, decimals: enabled.price_precision };
  if (code !== org.organization.currency_code) return undefined;
  return org.organization.price_precision === undefined
    ? code
    : { code, decimals: org.organization.price_precision };
}

/**
 * Whether a Books document (posted or about to be) can be posted to this org, and its exact totals when it
 * can. Pure; never throws: every problem found is in the result.
 */
export function checkBeforePosting(input: unknown, org: BooksOrgSettings): PostingCheck {
  const parsed = BooksDocumentAmountsSchema.safeParse(input);
  if (!parsed.success)
    return { ok: false, problems: problemsOf(BooksDocumentAmountsSchema, input, parsed.error) };
  const doc = parsed.data;
  const settings = moneySettings(doc, org);
  const problems = [
    ...(Array.isArray(settings) ? settings : []),
    ...taxProblems(doc, org),
    ...discountProblems(doc),
  ];
  if (problems.length > 0 || Array.isArray(settings)) return { ok: false, problems };
  try {
    return { ok: true, doc, totals: documentTotals(doc, settings), settings };
  } catch (err) {
    if (!(err instanceof MoneyError)) throw err;
    return { ok: false, problems: [{ field: 'line_items', reason: err.message }] };
  }
}

/** The currency and tax rules the document's amounts follow, or why the org cannot take it. */
function moneySettings(doc: BooksDocumentAmounts, org: BooksOrgSettings): MoneySettings | FieldProblem[] {
  const problems: FieldProblem[] = [];
  const code = doc.currency_code ?? org.organization.currency_code;
  const currency = currencyOf(org, code);
  if (currency === undefined) {
    const enabled = [org.organization.currency_code, ...org.currencies.map((c) => c.currency_code)];
    problems.push({
      field: 'currency_code',
      reason: `${code} is not enabled in the Books organization (enabled: ${[...new Set(enabled)].join(', ')})`,
    });
  }
  const taxRounding = doc.tax_rounding ?? org.organization.tax_rounding;
  if (taxRounding === undefined) {
    // Rounding tax per line or per document changes totals by a cent: no guess is safe.
    problems.push({ field: 'tax_rounding', reason: "the Books organization's tax rounding is not known" });
  }
  if (currency === undefined || taxRounding === undefined) return problems;
  const taxes = Object.fromEntries(org.taxes.map((tax) => [tax.tax_id, tax.tax_percentage]));
  return { currency, taxRounding, taxes };
}

/** Each line's tax must be one of the org's, at the org's rate. */
function taxProblems(doc: BooksDocumentAmounts, org: BooksOrgSettings): FieldProblem[] {
  return doc.line_items.flatMap((line, index): FieldProblem[] => {
    if (!line.tax_id) return [];
    const tax = org.taxes.find((t) => t.tax_id === line.tax_id);
    if (tax === undefined) {
      return [
        {
          field: `line_items.${index}.tax_id`,
          reason: `tax ${JSON.stringify(line.tax_id)} does not exist in the Books organization`,
        },
      ];
    }
    if (line.tax_percentage === undefined || compareAmounts(line.tax_percentage, tax.tax_percentage) === 0) {
      return [];
    }
    return [
      {
        field: `line_items.${index}.tax_percentage`,
        reason: `is ${line.tax_percentage}, but ${tax.tax_name} is ${tax.tax_percentage}% in the Books organization`,
      },
    ];
  });
}

/** Books takes a discount on the lines or on the document, as its discount_type says, never both. */
function discountProblems(doc: BooksDocumentAmounts): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (doc.is_inclusive_tax && doc.is_discount_before_tax === false) {
    problems.push({ field: 'is_discount_before_tax', reason: NO_DISCOUNT_AFTER_INCLUSIVE_TAX });
  }
  if (doc.discount_type === 'item_level' && hasDiscount(doc.discount)) {
    problems.push({ field: 'discount', reason: 'must be empty: discount_type is item_level' });
  }
  if (doc.discount_type === 'entity_level') {
    doc.line_items.forEach((line, index) => {
      if (hasDiscount(line.discount)) {
        problems.push({
          field: `line_items.${index}.discount`,
          reason: 'must be empty: discount_type is entity_level',
        });
      }
    });
  }
  return problems;
}

function hasDiscount(discount: BooksDocumentAmounts['discount']): boolean {
  if (discount === undefined) return false;
  const text = String(discount).replace('%', '').trim();
  return text !== '' && compareAmounts(text, 0) !== 0;
}
