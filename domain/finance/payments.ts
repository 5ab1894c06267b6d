import type { BooksCreditNote, BooksCustomerPayment, BooksInvoice } from '../books-schemas';
import { fromMinor, toMinor, type Amount, type CurrencyLike } from '../money';
import type { FieldProblem } from '../validation';
import type { BooksCreditNoteRefund, BooksInvoiceCredit, BooksPaymentRefund, FinanceKind } from './documents';
import { daysPastDue } from './receivables';
import { checkTransition, lifecycleStatus } from './states';

/*
 * What customer payments, credit notes and refunds leave of an invoice or a credit note (issue 16, item 6;
 * S9.3, S9.9): paid amount, balance and status, in minor units of the document's currency, so the CRM copy
 * shows what Books holds. Books reports these figures too; they are worked out again from the records that
 * make them so a payment seen before its invoice's update, or a refund, gives the same answer either way.
 */

/** An invoice's settlement: every amount in minor units of its currency. */
export interface InvoiceSettlement {
  /** The Books status it ends in (a lifecycle status: sent, partially_paid, paid, overdue, or as it was). */
  status: string;
  total: number;
  /** Payments applied, less what was refunded out of them (Books' `payment_made`). */
  payment_made: number;
  credits_applied: number;
  write_off_amount: number;
  balance: number;
}

export type SettlementResult<T> = ({ ok: true } & T) | { ok: false; problems: FieldProblem[] };

export interface InvoiceSettlementInput {
  /** Its status as Books reports it, shades included (`viewed`, `unpaid`). */
  invoice: Pick<BooksInvoice, 'invoice_id' | 'total' | 'date' | 'due_date' | 'write_off_amount'> & {
    status: string;
  };
  /** The invoice's currency with the org's precision for it (posting-checks.ts's currencyOf). */
  currency: CurrencyLike;
  /** Payments of the customer; only their parts applied to this invoice count. */
  payments: readonly Pick<BooksCustomerPayment, 'payment_id' | 'invoices'>[];
  /** Credits applied from credit notes; only those on this invoice count. */
  credits: readonly BooksInvoiceCredit[];
  /** Refunds of payments; only those taken out of this invoice's part count. */
  refunds: readonly BooksPaymentRefund[];
  /** The day the status is judged on (YYYY-MM-DD): an unpaid invoice due before it is overdue. */
  asOf: string;
}

/** Statuses in which an invoice takes no money: a draft is not yet owed, a void one never will be. */
const CLOSED_TO_MONEY = ['draft', 'void'];

/**
 * The paid amount, balance and status of an invoice after its payments, credits and refunds. Pure; never
 * throws: money the invoice cannot take (more than its total, a refund of more than was paid, anything on a
 * draft or a void invoice) or a status change the lifecycle refuses comes back as problems.
 */
export function settleInvoice(input: InvoiceSettlementInput): SettlementResult<InvoiceSettlement> {
  const { invoice, currency } = input;
  const id = invoice.invoice_id;
  if (invoice.total === undefined) return refused('total', 'the invoice has no total');
  const total = toMinor(invoice.total, currency);
  const paid = sumMinor(
    input.payments.flatMap((payment) => payment.invoices ?? []).filter((part) => part.invoice_id === id),
    (part) => part.amount_applied,
    currency,
  );
  const refunded = sumMinor(
    input.refunds.filter((refund) => refund.invoice_id === id),
    (refund) => refund.amount,
    currency,
  );
  const credited = sumMinor(
    input.credits.filter((credit) => credit.invoice_id === id),
    (credit) => credit.amount_applied,
    currency,
  );
  const writeOff = toMinor(invoice.write_off_amount ?? 0, currency);
  const settlement = {
    total,
    payment_made: paid - refunded,
    credits_applied: credited,
    write_off_amount: writeOff,
    balance: total - (paid - refunded) - credited - writeOff,
  };

  const problems = moneyProblems(settlement, refunded, paid, currency);
  const from = lifecycleStatus('invoice', invoice.status) ?? invoice.status;
  if (CLOSED_TO_MONEY.includes(from) && settlement.balance !== total) {
    problems.push({ field: 'status', reason: `a ${from} invoice takes no payments or credits` });
  }
  if (problems.length > 0) return { ok: false, problems };
  if (CLOSED_TO_MONEY.includes(from)) return { ok: true, status: from, ...settlement };

  const status = invoiceStatus(settlement, daysPastDue(invoice, input.asOf));
  const change = checkTransition({ kind: 'invoice', from: invoice.status, to: status });
  if (!change.allowed) return { ok: false, problems: [{ field: change.field, reason: change.reason }] };
  return { ok: true, status, ...settlement };
}

/**
 * The status an invoice owed to the customer has: paid when nothing is left; overdue when something is left
 * after its due date, paid in part or not, since the CRM shows what needs chasing (with no due date it is
 * due on receipt, as aging counts it); else partially paid or sent.
 */
function invoiceStatus(settlement: Omit<InvoiceSettlement, 'status'>, daysLate: number): string {
  if (settlement.balance === 0) return 'paid';
  if (daysLate > 0) return 'overdue';
  return settlement.balance < settlement.total ? 'partially_paid' : 'sent';
}

/** Invoice statuses that owe money and are not yet overdue: the calendar alone moves them on. */
const OWING_ON_TIME = ['sent', 'partially_paid'];

/**
 * When a Books document changes by itself (epoch ms), or null when only a write changes it: an invoice
 * owing money turns overdue the day after it falls due (its date when it has no due date, as daysPastDue
 * counts); every other document, and an invoice paid, void, a draft or overdue already, waits for a write
 * (a payment, a status), which the poller sees. What the document workflow schedules its next read by.
 */
export function selfChangeAt(
  kind: FinanceKind,
  books: { status?: unknown; date?: unknown; due_date?: unknown },
): number | null {
  if (kind !== 'invoice' || typeof books.status !== 'string') return null;
  if (!OWING_ON_TIME.includes(lifecycleStatus('invoice', books.status) ?? '')) return null;
  const due = [books.due_date, books.date].find((d): d is string => typeof d === 'string' && d !== '');
  const day = due === undefined ? NaN : Date.parse(`${due.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(day) ? null : day + DAY_MS;
}

const DAY_MS = 86_400_000;

/** Money taken off a document beyond what it holds, or refunded beyond what was paid. */
function moneyProblems(
  settlement: { total: number; balance: number },
  refunded: number,
  paid: number,
  currency: CurrencyLike,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (refunded > paid) {
    problems.push({
      field: 'refunds',
      reason: `${fromMinor(refunded, currency)} refunded, but only ${fromMinor(paid, currency)} was paid`,
    });
  }
  if (settlement.balance < 0) {
    const taken = settlement.total - settlement.balance;
    problems.push({ field: 'balance', reason: overdrawn(taken, settlement.total, currency, 'an invoice') });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Credit notes and payments: what is left of them to apply or refund

/** A credit note's settlement, in minor units of its currency. */
export interface CreditNoteSettlement {
  /** `open` while credit is left, `closed` once all of it is applied or refunded; a draft or void one as is. */
  status: string;
  total: number;
  credits_applied: number;
  refunded: number;
  balance: number;
}

export interface CreditNoteSettlementInput {
  creditNote: Pick<BooksCreditNote, 'creditnote_id' | 'total'> & { status: string };
  currency: CurrencyLike;
  credits: readonly BooksInvoiceCredit[];
  refunds: readonly BooksCreditNoteRefund[];
}

/** What is left of a credit note once applied to invoices and refunded to the customer. */
export function settleCreditNote(input: CreditNoteSettlementInput): SettlementResult<CreditNoteSettlement> {
  const { creditNote, currency } = input;
  const id = creditNote.creditnote_id;
  if (creditNote.total === undefined) return refused('total', 'the credit note has no total');
  const total = toMinor(creditNote.total, currency);
  const applied = sumMinor(
    input.credits.filter((credit) => credit.creditnote_id === id),
    (credit) => credit.amount_applied,
    currency,
  );
  const refunded = sumMinor(
    input.refunds.filter((refund) => refund.creditnote_id === id),
    (refund) => refund.amount,
    currency,
  );
  const balance = total - applied - refunded;
  if (balance < 0) return refused('balance', overdrawn(applied + refunded, total, currency, 'a credit note'));
  const open = CLOSED_TO_MONEY.includes(creditNote.status) ? creditNote.status : 'open';
  const status = balance === 0 && open === 'open' ? 'closed' : open;
  return { ok: true, status, total, credits_applied: applied, refunded, balance };
}

/** A customer payment's unused amount: what is neither applied to an invoice nor refunded, in minor units. */
export function unusedPayment(
  payment: Pick<BooksCustomerPayment, 'payment_id' | 'amount' | 'invoices'>,
  refunds: readonly BooksPaymentRefund[],
  currency: CurrencyLike,
): SettlementResult<{ amount: number; applied: number; refunded: number; unused: number }> {
  const amount = toMinor(payment.amount, currency);
  const applied = sumMinor(payment.invoices ?? [], (part) => part.amount_applied, currency);
  // A refund out of an invoice's part gives back applied money, already counted in `applied`.
  const refunded = sumMinor(
    refunds.filter((refund) => refund.payment_id === payment.payment_id && !refund.invoice_id),
    (refund) => refund.amount,
    currency,
  );
  const unused = amount - applied - refunded;
  if (unused < 0) return refused('amount', overdrawn(applied + refunded, amount, currency, 'a payment'));
  return { ok: true, amount, applied, refunded, unused };
}

function overdrawn(taken: number, total: number, currency: CurrencyLike, what: string): string {
  return `${fromMinor(taken, currency)} applied or refunded out of ${what} of ${fromMinor(total, currency)}`;
}

function refused(field: string, reason: string): { ok: false; problems: FieldProblem[] } {
  return { ok: false, problems: [{ field, reason }] };
}

/** The exact sum of some records' amounts in minor units of the currency. */
function sumMinor<T>(records: readonly T[], amountOf: (record: T) => Amount, currency: CurrencyLike): number {
  return records.reduce((sum, record) => sum + toMinor(amountOf(record), currency), 0);
}
