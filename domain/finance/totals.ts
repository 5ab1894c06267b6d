import {
  fromMinor,
  invoiceTotals,
  lineAmounts,
  MoneyError,
  toMinor,
  type Amount,
  type CurrencyLike,
  type InvoiceTotals,
  type LineInput,
  type RoundingMode,
  type TaxLine,
  type TaxRounding,
} from '../money';
import type { FieldProblem } from '../validation';
import type { BooksDocumentAmounts } from './documents';

/*
 * Exact totals of a finance document (issue 16, item 5; S9.9). Tax-exclusive documents are money.ts's
 * invoiceTotals as is. Tax-inclusive ones (Books' `is_inclusive_tax`) need the tax taken out of a price
 * that already holds it, p / (100 + p) of it, a fraction no decimal rate can express: those are computed
 * here on BigInt numerators and denominators, rounded once, by money.ts's own rounding.
 */

/** The Books org's settings that decide a document's amounts. */
export interface MoneySettings {
  /** The document's currency with the org's precision for it (see currencyOf in posting-checks.ts). */
  currency: CurrencyLike;
  taxRounding: TaxRounding;
  /** tax_id -> percentage, the org's taxes, for lines that carry a tax_id but no tax_percentage. */
  taxes?: Readonly<Record<string, Amount>>;
  roundingMode?: RoundingMode;
}

/** Why a discount after tax and tax-inclusive rates do not go together: Books refuses it too. */
export const NO_DISCOUNT_AFTER_INCLUSIVE_TAX =
  'a discount after tax is not possible with tax-inclusive rates';

/** Places kept of a tax percentage ("12.5" or "8.875"); Books itself keeps fewer. */
const PERCENT_PLACES = 6;
const HUNDRED_PERCENT = 100n * 10n ** BigInt(PERCENT_PLACES);

/**
 * The totals of a Books document in minor units, by the org's settings. With tax-inclusive rates `sub_total`
 * and the line totals include their tax, and `total` = sub_total - discount + adjustment: the tax is inside
 * it, reported in `tax_total` and `taxes`. Throws MoneyError on bad amounts, never returns a partial result.
 */
export function documentTotals(doc: BooksDocumentAmounts, settings: MoneySettings): InvoiceTotals {
  const common = {
    currency: settings.currency,
    lines: doc.line_items,
    discount: doc.discount ?? null,
    taxes: settings.taxes ?? {},
    taxRounding: settings.taxRounding,
    roundingMode: settings.roundingMode ?? 'half_up',
    adjustment: doc.adjustment ?? null,
  };
  if (!doc.is_inclusive_tax) {
    return invoiceTotals({ ...common, discountBeforeTax: doc.is_discount_before_tax ?? true });
  }
  if (doc.is_discount_before_tax === false) {
    throw new MoneyError(NO_DISCOUNT_AFTER_INCLUSIVE_TAX);
  }
  return inclusiveTotals(common);
}

interface InclusiveInput {
  currency: CurrencyLike;
  lines: readonly LineInput[];
  discount: BooksDocumentAmounts['discount'] | null;
  taxes: Readonly<Record<string, Amount>>;
  taxRounding: TaxRounding;
  roundingMode: RoundingMode;
  adjustment: number | null;
}

interface TaxGroup {
  tax: Omit<TaxLine, 'tax_amount'>;
  percent: bigint;
  numerator: bigint;
  rounded: number;
}

function inclusiveTotals(input: InclusiveInput): InvoiceTotals {
  const { currency, roundingMode: mode } = input;
  const lines = input.lines.map((line) => lineAmounts({ ...line, currency, roundingMode: mode }));
  const subTotal = lines.reduce((sum, line) => sum + line.item_total, 0);
  const discount = entityDiscount(subTotal, input.discount, currency, mode);
  // A discount before tax lowers each line's taxed amount by its share: (S - D) / S.
  const shareNumerator = BigInt(subTotal - discount);
  const shareDenominator = BigInt(subTotal === 0 ? 1 : subTotal);

  const groups = new Map<string, TaxGroup>();
  const lineTaxes = input.lines.map((line, index) => {
    const tax = lineTax(line, input.taxes, index);
    const amounts = lines[index];
    if (tax === undefined || amounts === undefined) return undefined;
    const numerator = BigInt(amounts.item_total) * shareNumerator * tax.percent;
    const denominator = shareDenominator * (HUNDRED_PERCENT + tax.percent);
    const key = `${tax.line.tax_id ?? ''}|${tax.line.tax_percentage}`;
    const group = groups.get(key) ?? { tax: tax.line, percent: tax.percent, numerator: 0n, rounded: 0 };
    const rounded = roundQuotient(numerator, denominator, mode);
    group.numerator += numerator;
    group.rounded += rounded;
    groups.set(key, group);
    return rounded;
  });

  const taxes: TaxLine[] = [...groups.values()].map((group) => ({
    ...group.tax,
    tax_amount:
      input.taxRounding === 'item_level'
        ? group.rounded
        : roundQuotient(group.numerator, shareDenominator * (HUNDRED_PERCENT + group.percent), mode),
  }));
  const adjustment = input.adjustment === null ? 0 : toMinor(input.adjustment, currency, mode);
  return {
    sub_total: subTotal,
    discount_total: discount,
    item_discount_total: lines.reduce((sum, line) => sum + line.discount, 0),
    tax_total: taxes.reduce((sum, tax) => sum + tax.tax_amount, 0),
    adjustment,
    total: subTotal - discount + adjustment,
    lines: lines.map((line, index) => {
      const tax = lineTaxes[index];
      return input.taxRounding === 'item_level' && tax !== undefined ? { ...line, tax_amount: tax } : line;
    }),
    taxes,
  };
}

/** The entity-level discount on the sub-total: money.ts's line discount rule over one line of that amount. */
function entityDiscount(
  subTotal: number,
  discount: InclusiveInput['discount'],
  currency: CurrencyLike,
  mode: RoundingMode,
): number {
  if (discount === null || discount === undefined) return 0;
  return lineAmounts({
    rate: fromMinor(subTotal, currency),
    quantity: 1,
    discount,
    currency,
    roundingMode: mode,
  }).discount;
}

/** A line's tax: its percentage scaled to an integer, and how the tax is named in the totals. */
function lineTax(
  line: LineInput,
  taxes: Readonly<Record<string, Amount>>,
  index: number,
): { line: Omit<TaxLine, 'tax_amount'>; percent: bigint } | undefined {
  const taxId = line.tax_id || undefined;
  let source = line.tax_percentage ?? undefined;
  if (source === undefined && taxId !== undefined) {
    if (!Object.hasOwn(taxes, taxId))
      throw new MoneyError(`line ${index}: unknown tax_id ${JSON.stringify(taxId)}`);
    source = taxes[taxId];
  }
  if (source === undefined) return undefined;
  const percent = BigInt(toMinor(source, { decimals: PERCENT_PLACES }));
  if (percent < 0n) throw new MoneyError(`line ${index}: tax percentage must not be negative`);
  const text = fromMinor(Number(percent), { decimals: PERCENT_PLACES }).replace(/\.?0+$/, '');
  return { line: { ...(taxId === undefined ? {} : { tax_id: taxId }), tax_percentage: text }, percent };
}

/**
 * numerator / denominator (denominator > 0) rounded to an integer. money.ts keeps the one rounding rule: it
 * is given the quotient to one place more, with a trailing 1 when anything is left over, which is enough
 * for it to tell a tie from a near-tie in either mode.
 */
function roundQuotient(numerator: bigint, denominator: bigint, mode: RoundingMode): number {
  const negative = numerator < 0n;
  const tenfold = (negative ? -numerator : numerator) * 10n;
  const digits = tenfold / denominator;
  const sticky = tenfold % denominator === 0n ? '' : '1';
  const text = `${negative ? '-' : ''}${digits / 10n}.${digits % 10n}${sticky}`;
  return toMinor(text, { decimals: 0 }, mode);
}

/**
 * Where the totals Books reports for a document differ from the exact ones, one problem per field, amounts
 * in the document's currency. `sub_total` is compared only without inclusive tax: Books reports it net of
 * tax there, a figure it derives its own way.
 */
export function totalsMismatches(
  doc: BooksDocumentAmounts,
  totals: InvoiceTotals,
  currency: CurrencyLike,
): FieldProblem[] {
  const reported: [field: 'sub_total' | 'tax_total' | 'total', computed: number][] = [
    ['tax_total', totals.tax_total],
    ['total', totals.total],
  ];
  if (!doc.is_inclusive_tax) reported.unshift(['sub_total', totals.sub_total]);
  return reported.flatMap(([field, computed]) => {
    const given = doc[field];
    if (given === undefined || toMinor(given, currency) === computed) return [];
    return [{ field, reason: `is ${given}, the lines make it ${fromMinor(computed, currency)}` }];
  });
}
