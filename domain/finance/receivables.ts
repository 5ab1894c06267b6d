import type { BooksInvoice } from '../books-schemas';
import { convertMinor, toMinor, type CurrencyLike } from '../money';
import type { FieldProblem } from '../validation';
import type { SettlementResult } from './payments';
import { currencyOf, type BooksOrgSettings } from './posting-checks';
import { lifecycleStatus } from './states';

/*
 * What a CRM account carries of its Books invoices (issue 16, item 6; S10.1): its sales total, what it still
 * owes, and how late that is, split current / 1-30 / 31-60 / 61-90 / 90+ days past due. Invoices come in
 * the currencies they were raised in; the account's figures are in the org's base currency, each invoice
 * converted at its own exchange rate before adding, so the buckets always add up to the outstanding amount.
 */

export const AGING_BUCKETS = ['current', 'days_1_30', 'days_31_60', 'days_61_90', 'days_over_90'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];

/** An account's receivables in minor units of the org's base currency. */
export interface AccountReceivables {
  currency: string;
  /** The totals of its invoices owed or paid (drafts and void ones left out). */
  sales_total: number;
  /** What its invoices still owe: the sum of their balances, and of `aging`. */
  outstanding: number;
  aging: Record<AgingBucket, number>;
}

/** The invoice fields the figures read: Books' own, as settled (payments.ts) or as Books reports them. */
export type ReceivableInvoice = Pick<
  BooksInvoice,
  'invoice_id' | 'status' | 'date' | 'due_date' | 'total' | 'balance' | 'currency_code' | 'exchange_rate'
>;

/** Invoices that count: a draft is not yet owed, a void one never will be. */
const NOT_RECEIVABLE = ['draft', 'void'];

const DAY_MS = 86_400_000;

/**
 * An account's sales total, outstanding receivables and aging as of a day (YYYY-MM-DD). Pure; never
 * throws: an invoice in a currency the org has not enabled, or without its amounts, is a problem named by
 * its place in the list.
 */
export function accountReceivables(
  invoices: readonly ReceivableInvoice[],
  org: BooksOrgSettings,
  asOf: string,
): SettlementResult<AccountReceivables> {
  const base = org.organization.currency_code;
  const baseCurrency = currencyOf(org, base) ?? base;
  const figures: AccountReceivables = { currency: base, sales_total: 0, outstanding: 0, aging: emptyAging() };
  const problems: FieldProblem[] = [];
  invoices.forEach((invoice, index) => {
    if (NOT_RECEIVABLE.includes(lifecycleStatus('invoice', invoice.status) ?? invoice.status)) return;
    const amounts = baseAmounts(invoice, org, baseCurrency);
    if ('field' in amounts) {
      problems.push({ field: `invoices.${index}.${amounts.field}`, reason: amounts.reason });
      return;
    }
    figures.sales_total += amounts.total;
    figures.outstanding += amounts.balance;
    figures.aging[agingBucket(daysPastDue(invoice, asOf))] += amounts.balance;
  });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, ...figures };
}

/** How many whole days after its due date (or its date, with none) an invoice is on `asOf`; 0 or less: not due. */
export function daysPastDue(invoice: Pick<ReceivableInvoice, 'date' | 'due_date'>, asOf: string): number {
  const due = invoice.due_date || invoice.date;
  return Math.round((utcDay(asOf) - utcDay(due)) / DAY_MS);
}

/** The aging bucket of a balance that many days past due. */
export function agingBucket(days: number): AgingBucket {
  if (days <= 0) return 'current';
  if (days <= 30) return 'days_1_30';
  if (days <= 60) return 'days_31_60';
  if (days <= 90) return 'days_61_90';
  return 'days_over_90';
}

function emptyAging(): Record<AgingBucket, number> {
  return Object.fromEntries(AGING_BUCKETS.map((bucket) => [bucket, 0])) as Record<AgingBucket, number>;
}

/** An invoice's total and balance in minor units of the base currency, or why they cannot be had. */
function baseAmounts(
  invoice: ReceivableInvoice,
  org: BooksOrgSettings,
  baseCurrency: CurrencyLike,
): { total: number; balance: number } | FieldProblem {
  const code = invoice.currency_code || org.organization.currency_code;
  const currency = currencyOf(org, code);
  if (currency === undefined) {
    return { field: 'currency_code', reason: `${code} is not enabled in the Books organization` };
  }
  if (invoice.total === undefined) return { field: 'total', reason: 'the invoice has no total' };
  if (invoice.balance === undefined) return { field: 'balance', reason: 'the invoice has no balance' };
  const foreign = code !== org.organization.currency_code;
  const rate = invoice.exchange_rate;
  if (foreign && rate === undefined) {
    // Adding a foreign amount at a guessed rate would misstate what the account owes.
    return {
      field: 'exchange_rate',
      reason: `an invoice in ${code} needs its exchange rate to ${org.organization.currency_code}`,
    };
  }
  // Books' exchange_rate is base units per unit of the invoice's currency.
  const toBase = (amount: number): number => {
    const minor = toMinor(amount, currency);
    if (!foreign || rate === undefined) return minor;
    return convertMinor({ minor, from: currency, to: baseCurrency, exchangeRate: rate });
  };
  return { total: toBase(invoice.total), balance: toBase(invoice.balance) };
}

/** Midnight UTC of a YYYY-MM-DD day, in milliseconds: whole days apart, whatever the clock's zone. */
function utcDay(date: string): number {
  const [year, month, day] = date.split('-').map(Number);
  return Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1);
}
