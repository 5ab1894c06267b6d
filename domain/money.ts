/**
 * Money as integer minor units (cents, fils, yen). Amounts arrive as decimal strings or JSON numbers and are
 * converted digit by digit, never by float multiplication, so "19.99" is 1999 and 0.1 + 0.2 is 30 cents.
 * Products, percentages and pro-rating are done on BigInt numerators and denominators and rounded once, per
 * currency, at the end. Results are plain safe-integer numbers, ready for JSON and Temporal payloads.
 */

/** `half_up`: ties away from zero (Java's ROUND_HALF_UP, what Zoho Books uses); `half_even`: banker's rounding. */
export type RoundingMode = 'half_up' | 'half_even';

/** A decimal amount as found in API JSON: `"19.99"`, `19.99`, `"1e3"`. */
export type Amount = string | number;

/** An ISO 4217 code known to CURRENCY_DECIMALS, or an explicit precision (e.g. a Books currency's `price_precision`). */
export type CurrencyLike = string | { code?: string; decimals: number };

/** Every money failure: bad input, unknown currency, overflow. Permanent: retrying cannot help. */
export class MoneyError extends Error {
  override readonly name = 'MoneyError';
}

const codes = (list: string): string[] => list.trim().split(/\s+/);
const ZERO_DECIMAL = codes('BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF');
const THREE_DECIMAL = codes('BHD IQD JOD KWD LYD OMR TND');
const TWO_DECIMAL = codes(`
  AED ARS AUD BDT BGN BND BRL BWP CAD CHF CNY COP CRC CZK DKK DOP DZD EGP ETB EUR FJD GBP GHS GTQ HKD HNL
  HUF IDR ILS INR JMD KES KZT LKR MAD MUR MXN MYR NGN NOK NPR NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK
  SGD THB TRY TTD TWD TZS UAH USD UYU XCD ZAR ZMW`);

/** ISO 4217 minor units of the currencies we accept. An unknown code is an error, never a guess. */
export const CURRENCY_DECIMALS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries([
    ...ZERO_DECIMAL.map((c) => [c, 0] as const),
    ...TWO_DECIMAL.map((c) => [c, 2] as const),
    ...THREE_DECIMAL.map((c) => [c, 3] as const),
  ]),
);

const MAX_DECIMALS = 8;
/** Bounds the size of the BigInts an input can create. */
const MAX_SCALE = 40;

/** Number of decimal places of a currency. Throws MoneyError for an unknown code or a bad precision. */
export function currencyDecimals(currency: CurrencyLike): number {
  if (typeof currency === 'string') {
    const decimals = Object.hasOwn(CURRENCY_DECIMALS, currency) ? CURRENCY_DECIMALS[currency] : undefined;
    if (decimals === undefined) {
      throw new MoneyError(
        `unknown currency ${JSON.stringify(currency)}: expected an upper-case ISO 4217 code listed in CURRENCY_DECIMALS, or pass { decimals }`,
      );
    }
    return decimals;
  }
  const { decimals } = currency;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) {
    throw new MoneyError(`currency decimals must be an integer from 0 to ${MAX_DECIMALS}, got ${decimals}`);
  }
  return decimals;
}

/** An exact decimal: units / 10^scale. */
interface Decimal {
  units: bigint;
  scale: number;
}

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,3}))?$/;

const pow10 = (n: number): bigint => 10n ** BigInt(n);

function parseDecimal(input: Amount, what: string): Decimal {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new MoneyError(`${what} must be a finite number, got ${input}`);
    // String() gives the shortest text that reads back as the same double: 19.99 -> "19.99".
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    throw new MoneyError(`${what} must be a decimal string or a number, got ${typeof input}`);
  }
  const match = DECIMAL_TEXT.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || whole.length + fraction.length === 0) {
    throw new MoneyError(`${what} is not a decimal number: ${JSON.stringify(input)}`);
  }
  let units = BigInt(whole + fraction);
  if (match[1] === '-') units = -units;
  let scale = fraction.length - Number(match[4] ?? '0');
  if (scale > MAX_SCALE || scale < -MAX_SCALE)
    throw new MoneyError(`${what} is out of range: ${JSON.stringify(input)}`);
  if (scale < 0) {
    units *= pow10(-scale);
    scale = 0;
  }
  return { units, scale };
}

/** Canonical text of a decimal, without trailing zeros: 12.50 -> "12.5", 18.0 -> "18". */
function decimalText(value: Decimal): string {
  let { units, scale } = value;
  while (scale > 0 && units % 10n === 0n) {
    units /= 10n;
    scale -= 1;
  }
  return unitsText(units, scale);
}

function unitsText(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** numerator / denominator rounded to an integer; denominator > 0. */
function roundDiv(numerator: bigint, denominator: bigint, mode: RoundingMode): bigint {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  const twiceRemainder = (magnitude % denominator) * 2n;
  if (
    twiceRemainder > denominator ||
    (twiceRemainder === denominator && (mode === 'half_up' || quotient % 2n === 1n))
  ) {
    quotient += 1n;
  }
  return negative ? -quotient : quotient;
}

function toSafeNumber(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new MoneyError(`${what} is too large to be held exactly (${value} minor units)`);
  }
  return Number(value);
}

function checkMinor(minor: number, what: string): bigint {
  if (!Number.isSafeInteger(minor))
    throw new MoneyError(`${what} must be a safe integer of minor units, got ${minor}`);
  return BigInt(minor);
}

/** A decimal amount in minor units of the currency, rounded once if it has more places: "19.99" USD -> 1999. */
export function toMinor(
  amount: Amount,
  currency: CurrencyLike,
  roundingMode: RoundingMode = 'half_up',
): number {
  const decimals = currencyDecimals(currency);
  const value = parseDecimal(amount, 'amount');
  return toSafeNumber(roundDiv(value.units * pow10(decimals), pow10(value.scale), roundingMode), 'amount');
}

/** Minor units back to a decimal string with the currency's places: 1999 USD -> "19.99", 1999 JPY -> "1999". */
export function fromMinor(minor: number, currency: CurrencyLike): string {
  return unitsText(checkMinor(minor, 'amount'), currencyDecimals(currency));
}

/** Minor units as a JSON number for an API body (the nearest double to the exact decimal). */
export function minorToNumber(minor: number, currency: CurrencyLike): number {
  return Number(fromMinor(minor, currency));
}

/** Compares two decimal amounts exactly: -1, 0 or 1. */
export function compareAmounts(a: Amount, b: Amount): -1 | 0 | 1 {
  const x = parseDecimal(a, 'amount');
  const y = parseDecimal(b, 'amount');
  const scale = Math.max(x.scale, y.scale);
  const left = x.units * pow10(scale - x.scale);
  const right = y.units * pow10(scale - y.scale);
  return left === right ? 0 : left < right ? -1 : 1;
}

/** The exact sum of decimal amounts, as canonical decimal text ("0.3" for 0.1 + 0.2). */
export function sumAmounts(amounts: readonly Amount[]): string {
  const values = amounts.map((a) => parseDecimal(a, 'amount'));
  const scale = Math.max(0, ...values.map((v) => v.scale));
  const units = values.reduce((sum, v) => sum + v.units * pow10(scale - v.scale), 0n);
  return decimalText({ units, scale });
}

/** A discount: a percentage of the amount it applies to, or an absolute amount in the document currency. */
export type Discount = { kind: 'percentage'; value: string } | { kind: 'amount'; value: string };

/** A discount as Zoho sends it (`"10%"`, `"12.50"`, `12.5`) or already parsed. */
export type DiscountInput = Discount | Amount;

/** Reads Zoho's discount notation: a trailing `%` makes a percentage (0-100), anything else an amount (>= 0). */
export function parseDiscount(input: DiscountInput): Discount {
  if (typeof input === 'object') return checkDiscount(input.kind, input.value);
  if (typeof input === 'string') {
    const text = input.trim();
    if (text === '') return { kind: 'amount', value: '0' };
    if (text.endsWith('%')) return checkDiscount('percentage', text.slice(0, -1));
  }
  return checkDiscount('amount', input);
}

function checkDiscount(kind: Discount['kind'], value: Amount): Discount {
  const parsed = parseDecimal(value, `${kind} discount`);
  if (parsed.units < 0n) throw new MoneyError(`discount must not be negative, got ${JSON.stringify(value)}`);
  if (kind === 'percentage' && parsed.units > 100n * pow10(parsed.scale)) {
    throw new MoneyError(`percentage discount must be at most 100%, got ${decimalText(parsed)}%`);
  }
  return { kind, value: decimalText(parsed) };
}

/** The discount taken off `base` (minor units), never more than `base`. */
function discountOn(
  base: bigint,
  input: DiscountInput | null | undefined,
  decimals: number,
  mode: RoundingMode,
): bigint {
  if (input === undefined || input === null) return 0n;
  const discount = parseDiscount(input);
  const value = parseDecimal(discount.value, 'discount');
  const amount =
    discount.kind === 'percentage'
      ? roundDiv(base * value.units, 100n * pow10(value.scale), mode)
      : roundDiv(value.units * pow10(decimals), pow10(value.scale), mode);
  if (amount > base) {
    throw new MoneyError(
      `discount of ${unitsText(amount, decimals)} exceeds the amount it applies to (${unitsText(base, decimals)})`,
    );
  }
  return amount;
}

/** One document line as Zoho describes it. */
export interface LineInput {
  rate: Amount;
  /** May be fractional (1.5 hours); never negative. */
  quantity: Amount;
  /** Item-level discount on rate × quantity: `"10%"` or an amount for the whole line. */
  discount?: DiscountInput | null;
  tax_id?: string | null;
  /** The line's tax rate in percent; when absent, looked up by `tax_id` in `taxes`. */
  tax_percentage?: Amount | null;
}

/** A line's amounts in minor units: gross = rate × quantity rounded, item_total = gross - discount. */
export interface LineAmounts {
  gross: number;
  discount: number;
  item_total: number;
}

interface ExactLine {
  gross: bigint;
  discount: bigint;
  total: bigint;
}

function computeLine(line: LineInput, decimals: number, mode: RoundingMode): ExactLine {
  const rate = parseDecimal(line.rate, 'rate');
  const quantity = parseDecimal(line.quantity, 'quantity');
  if (rate.units < 0n) throw new MoneyError(`rate must not be negative, got ${JSON.stringify(line.rate)}`);
  if (quantity.units < 0n)
    throw new MoneyError(`quantity must not be negative, got ${JSON.stringify(line.quantity)}`);
  // Rounded once: the exact product of rate and quantity, scaled to minor units.
  const gross = roundDiv(
    rate.units * quantity.units * pow10(decimals),
    pow10(rate.scale + quantity.scale),
    mode,
  );
  const discount = discountOn(gross, line.discount, decimals, mode);
  return { gross, discount, total: gross - discount };
}

export interface LineTotalInput extends LineInput {
  currency: CurrencyLike;
  roundingMode?: RoundingMode;
}

/** rate × quantity less the line's discount, in minor units: { rate: "19.99", quantity: "1.5" } USD -> 2999. */
export function lineTotal(input: LineTotalInput): number {
  return lineAmounts(input).item_total;
}

/** The gross amount, discount and total of one line, in minor units. */
export function lineAmounts(input: LineTotalInput): LineAmounts {
  const line = computeLine(input, currencyDecimals(input.currency), input.roundingMode ?? 'half_up');
  return {
    gross: toSafeNumber(line.gross, 'line amount'),
    discount: toSafeNumber(line.discount, 'line discount'),
    item_total: toSafeNumber(line.total, 'line total'),
  };
}

/**
 * Zoho Books' two tax rounding settings: `item_level` rounds each line's tax and adds them up;
 * `entity_level` adds the exact taxes of the lines sharing a tax and rounds that sum once.
 */
export type TaxRounding = 'item_level' | 'entity_level';

export interface InvoiceTotalsInput {
  currency: CurrencyLike;
  lines: readonly LineInput[];
  /** Entity-level discount on the sub-total: `"10%"` or an amount. */
  discount?: DiscountInput | null;
  /** Zoho's `is_discount_before_tax` (default true): an entity discount also lowers the taxable amount. */
  discountBeforeTax?: boolean;
  /** tax_id -> percentage, for lines that carry a tax_id but no tax_percentage. */
  taxes?: Readonly<Record<string, Amount>>;
  /** Required: the organization's setting decides it, there is no safe default. */
  taxRounding: TaxRounding;
  roundingMode?: RoundingMode;
  /** Zoho's `adjustment`: a signed amount added last, untaxed. */
  adjustment?: Amount | null;
}

export interface TaxLine {
  tax_id?: string;
  tax_percentage: string;
  tax_amount: number;
}

/** Totals in minor units. total = sub_total - discount_total + tax_total + adjustment. */
export interface InvoiceTotals {
  /** Sum of the lines' item totals (after item-level discounts), as Zoho's `sub_total`. */
  sub_total: number;
  /** The entity-level discount (Zoho's `discount_amount`). */
  discount_total: number;
  /** Sum of item-level discounts, already deducted in sub_total; for reporting. */
  item_discount_total: number;
  tax_total: number;
  adjustment: number;
  total: number;
  /** Per line; `tax_amount` only with item-level rounding, where each line's tax is a real rounded amount. */
  lines: (LineAmounts & { tax_amount?: number })[];
  /** One entry per distinct tax (tax_id and rate), in order of first use. */
  taxes: TaxLine[];
}

/**
 * The totals of an estimate, sales order, invoice or credit note. Amount discounts apply to the whole line
 * (item level) or the whole sub-total (entity level); a discount before tax lowers each line's taxable amount
 * in proportion to its share of the sub-total. Throws MoneyError on bad input, never returns a partial result.
 */
export function invoiceTotals(input: InvoiceTotalsInput): InvoiceTotals {
  const decimals = currencyDecimals(input.currency);
  const mode = input.roundingMode ?? 'half_up';
  if (input.taxRounding !== 'item_level' && input.taxRounding !== 'entity_level') {
    throw new MoneyError(
      `taxRounding must be "item_level" or "entity_level", got ${JSON.stringify(input.taxRounding)}`,
    );
  }

  const lines = input.lines.map((line) => computeLine(line, decimals, mode));
  const subTotal = lines.reduce((sum, line) => sum + line.total, 0n);
  const discount = discountOn(subTotal, input.discount, decimals, mode);

  // Taxable share of each line: (S - D) / S when the entity discount comes before tax.
  const prorate = (input.discountBeforeTax ?? true) && discount > 0n;
  const shareNumerator = prorate ? subTotal - discount : 1n;
  const shareDenominator = prorate ? subTotal : 1n;

  interface TaxGroup {
    taxId: string | undefined;
    percentage: Decimal;
    exactNumerator: bigint;
    rounded: bigint;
  }
  const groups = new Map<string, TaxGroup>();
  const lineTaxes: (bigint | undefined)[] = [];

  input.lines.forEach((line, index) => {
    const percentage = taxPercentageOf(line, input.taxes, index);
    const exact = lines[index];
    if (percentage === undefined || exact === undefined) {
      lineTaxes.push(undefined);
      return;
    }
    const taxId = line.tax_id || undefined;
    const key = `${taxId ?? ''}|${decimalText(percentage)}`;
    const group = groups.get(key) ?? { taxId, percentage, exactNumerator: 0n, rounded: 0n };
    groups.set(key, group);
    const numerator = exact.total * shareNumerator * percentage.units;
    const denominator = shareDenominator * 100n * pow10(percentage.scale);
    const lineTax = roundDiv(numerator, denominator, mode);
    group.exactNumerator += numerator;
    group.rounded += lineTax;
    lineTaxes.push(lineTax);
  });

  const taxes: TaxLine[] = [...groups.values()].map((group) => {
    const amount =
      input.taxRounding === 'item_level'
        ? group.rounded
        : roundDiv(group.exactNumerator, shareDenominator * 100n * pow10(group.percentage.scale), mode);
    return {
      ...(group.taxId === undefined ? {} : { tax_id: group.taxId }),
      tax_percentage: decimalText(group.percentage),
      tax_amount: toSafeNumber(amount, 'tax'),
    };
  });

  const taxTotal = taxes.reduce((sum, tax) => sum + BigInt(tax.tax_amount), 0n);
  const adjustment =
    input.adjustment === undefined || input.adjustment === null
      ? 0n
      : BigInt(toMinor(input.adjustment, { decimals }, mode));
  const total = subTotal - discount + taxTotal + adjustment;

  return {
    sub_total: toSafeNumber(subTotal, 'sub-total'),
    discount_total: toSafeNumber(discount, 'discount'),
    item_discount_total: toSafeNumber(
      lines.reduce((sum, line) => sum + line.discount, 0n),
      'item discounts',
    ),
    tax_total: toSafeNumber(taxTotal, 'tax total'),
    adjustment: toSafeNumber(adjustment, 'adjustment'),
    total: toSafeNumber(total, 'total'),
    lines: lines.map((line, index) => {
      const amounts: LineAmounts & { tax_amount?: number } = {
        gross: toSafeNumber(line.gross, 'line amount'),
        discount: toSafeNumber(line.discount, 'line discount'),
        item_total: toSafeNumber(line.total, 'line total'),
      };
      const lineTax = lineTaxes[index];
      if (input.taxRounding === 'item_level' && lineTax !== undefined) {
        amounts.tax_amount = toSafeNumber(lineTax, 'line tax');
      }
      return amounts;
    }),
    taxes,
  };
}

function taxPercentageOf(
  line: LineInput,
  taxes: Readonly<Record<string, Amount>> | undefined,
  index: number,
): Decimal | undefined {
  let source = line.tax_percentage ?? undefined;
  if (source === undefined && line.tax_id) {
    source = taxes && Object.hasOwn(taxes, line.tax_id) ? taxes[line.tax_id] : undefined;
    if (source === undefined)
      throw new MoneyError(`line ${index}: unknown tax_id ${JSON.stringify(line.tax_id)}`);
  }
  if (source === undefined) return undefined;
  const percentage = parseDecimal(source, `line ${index}: tax percentage`);
  if (percentage.units < 0n) throw new MoneyError(`line ${index}: tax percentage must not be negative`);
  return percentage;
}

export interface ConvertInput {
  /** Minor units of `from`. */
  minor: number;
  from: CurrencyLike;
  to: CurrencyLike;
  /** Units of `to` per unit of `from` (Zoho's `exchange_rate` when `to` is the base currency). */
  exchangeRate: Amount;
  roundingMode?: RoundingMode;
}

/** Converts minor units between currencies at an exchange rate, rounding once in the target currency. */
export function convertMinor(input: ConvertInput): number {
  const amount = checkMinor(input.minor, 'amount');
  const rate = parseDecimal(input.exchangeRate, 'exchange rate');
  if (rate.units <= 0n)
    throw new MoneyError(`exchange rate must be positive, got ${JSON.stringify(input.exchangeRate)}`);
  const fromDecimals = currencyDecimals(input.from);
  const toDecimals = currencyDecimals(input.to);
  const converted = roundDiv(
    amount * rate.units * pow10(toDecimals),
    pow10(rate.scale + fromDecimals),
    input.roundingMode ?? 'half_up',
  );
  return toSafeNumber(converted, 'converted amount');
}

/**
 * `minor × multiplier / divisor`, rounded once: an amount spread over a period (a yearly price's monthly
 * share, 12000 / 12 months) or a share as a ratio. Exact: the product never passes through a double.
 */
export function scaleMinor(
  minor: number,
  multiplier: number,
  divisor: number,
  roundingMode: RoundingMode = 'half_up',
): number {
  if (!Number.isSafeInteger(divisor) || divisor <= 0)
    throw new MoneyError(`divisor must be a positive integer, got ${divisor}`);
  const product = checkMinor(minor, 'amount') * checkMinor(multiplier, 'multiplier');
  return toSafeNumber(roundDiv(product, BigInt(divisor), roundingMode), 'amount');
}
