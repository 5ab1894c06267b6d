import type { BooksCustomerPayment } from '../books-schemas';
import { toMinor, minorToNumber, type CurrencyLike } from '../money';
import type { FieldProblem } from '../validation';
import {
  BooksCreditNoteRefundSchema,
  BooksInvoiceCreditSchema,
  BooksPaymentRefundSchema,
  type BooksCreditNoteRefund,
  type BooksInvoiceCredit,
  type BooksPaymentRefund,
} from './documents';
import { LEDGER_FIELDS, listOf, type Parsed } from './ledger';
import { settleCreditNote, unusedPayment } from './payments';

/*
 * Recording a credit note applied to invoices, or a refund of a payment or of a credit note, on the Books
 * documents they belong to (ledger.ts says where). Pure: the Books store reads the documents by id, writes
 * what this returns. Every entry has its own id and replaces an entry with the same id, so recording one
 * twice (a retry) changes nothing. What Books would refuse is refused here with its field and reason: a
 * credit note applied or refunded beyond its balance, a refund of more than was paid.
 */

type Data = Record<string, unknown>;

/** One application of a credit note to an invoice: its id makes recording it again a no-op. */
export interface InvoiceCreditEntry {
  creditnote_invoice_id: string;
  invoice_id: string;
  /** YYYY-MM-DD. */
  date: string;
  amount_applied: number;
}

/** Statuses in which a credit note gives no credit: not yet approved, or cancelled. */
const CREDIT_NOTE_CLOSED = ['draft', 'pending_approval', 'void'];

/** `list` with `entry` in place of the one with the same `key`, or added at its end. */
function upsertEntry<T extends object>(list: readonly T[], entry: T, key: keyof T): T[] {
  const at = list.findIndex((e) => e[key] === entry[key]);
  return at < 0 ? [...list, entry] : list.map((e, i) => (i === at ? entry : e));
}

const refused = (field: string, reason: string) => ({ ok: false as const, problems: [{ field, reason }] });

export interface ApplyCreditsInput {
  creditNote: Data;
  /** The invoices named by `credits`, as stored. */
  invoices: readonly Data[];
  credits: readonly InvoiceCreditEntry[];
  currency: CurrencyLike;
}

/**
 * The credit note and invoices with the credits recorded on both sides, the credit note's balance and status
 * worked out again. Refused (nothing to write) for a credit note not open to credit, an invoice not among
 * those read or of another customer, or credit beyond the credit note's balance.
 */
export function applyCredits(input: ApplyCreditsInput): Parsed<{ creditNote: Data; invoices: Data[] }> {
  const { creditNote, currency } = input;
  const creditnoteId = String(creditNote.creditnote_id);
  if (CREDIT_NOTE_CLOSED.includes(String(creditNote.status)))
    return refused('status', `a ${String(creditNote.status)} credit note gives no credit`);
  const applied = listOf(BooksInvoiceCreditSchema, creditNote, LEDGER_FIELDS.creditNoteCredits);
  if (!applied.ok) return applied;
  let credited = applied.records;
  const invoices = new Map(input.invoices.map((invoice) => [String(invoice.invoice_id), invoice]));
  const problems: FieldProblem[] = [];
  for (const [index, entry] of input.credits.entries()) {
    const credit = { ...entry, creditnote_id: creditnoteId };
    const invoice = invoices.get(entry.invoice_id);
    const field = `credits.${index}.invoice_id`;
    if (invoice === undefined) {
      problems.push({ field, reason: `no invoice ${entry.invoice_id}` });
      continue;
    }
    if (invoice.customer_id !== creditNote.customer_id)
      problems.push({ field, reason: `invoice ${entry.invoice_id} is another customer's` });
    const own = listOf(BooksInvoiceCreditSchema, invoice, LEDGER_FIELDS.invoiceCredits);
    if (!own.ok) return own;
    credited = upsertEntry(credited, credit, 'creditnote_invoice_id');
    invoices.set(entry.invoice_id, {
      ...invoice,
      [LEDGER_FIELDS.invoiceCredits]: upsertEntry(own.records, credit, 'creditnote_invoice_id'),
    });
  }
  if (problems.length > 0) return { ok: false, problems };
  const settled = creditNoteSettled(creditNote, { credited }, currency);
  if (!settled.ok) return settled;
  const touched = new Set(input.credits.map((c) => c.invoice_id));
  return {
    ok: true,
    creditNote: settled.creditNote,
    invoices: [...invoices.values()].filter((invoice) => touched.has(String(invoice.invoice_id))),
  };
}

/** A refund of a credit note, recorded on it, its balance and status worked out again. */
export function refundCreditNote(
  creditNote: Data,
  refund: BooksCreditNoteRefund,
  currency: CurrencyLike,
): Parsed<{ creditNote: Data }> {
  if (refund.creditnote_id !== creditNote.creditnote_id)
    return refused('creditnote_id', `the refund is of credit note ${refund.creditnote_id}`);
  const refunds = listOf(BooksCreditNoteRefundSchema, creditNote, LEDGER_FIELDS.creditNoteRefunds);
  if (!refunds.ok) return refunds;
  return creditNoteSettled(
    creditNote,
    { refunds: upsertEntry(refunds.records, refund, 'creditnote_refund_id') },
    currency,
  );
}

/** A credit note with new credits or refunds, its balance and status as they leave it. */
function creditNoteSettled(
  creditNote: Data,
  change: { credited?: BooksInvoiceCredit[]; refunds?: BooksCreditNoteRefund[] },
  currency: CurrencyLike,
): Parsed<{ creditNote: Data }> {
  // The list being changed is given; the other is read from the credit note as stored.
  const credits = change.credited
    ? { ok: true as const, records: change.credited }
    : listOf(BooksInvoiceCreditSchema, creditNote, LEDGER_FIELDS.creditNoteCredits);
  const refunded = change.refunds
    ? { ok: true as const, records: change.refunds }
    : listOf(BooksCreditNoteRefundSchema, creditNote, LEDGER_FIELDS.creditNoteRefunds);
  if (!credits.ok) return credits;
  if (!refunded.ok) return refunded;
  const settled = settleCreditNote({
    creditNote: {
      creditnote_id: String(creditNote.creditnote_id),
      status: String(creditNote.status),
      total: typeof creditNote.total === 'number' ? creditNote.total : undefined,
    },
    currency,
    credits: credits.records,
    refunds: refunded.records,
  });
  if (!settled.ok) return settled;
  return {
    ok: true,
    creditNote: {
      ...creditNote,
      [LEDGER_FIELDS.creditNoteCredits]: credits.records,
      [LEDGER_FIELDS.creditNoteRefunds]: refunded.records,
      balance: minorToNumber(settled.balance, currency),
      status: settled.status,
    },
  };
}

/**
 * A refund of a customer payment, recorded on it. One out of an invoice's part gives back money applied to
 * that invoice (so reopens its balance) and may not exceed that part; one without an invoice comes out of
 * the payment's unused amount.
 */
export function refundPayment(
  payment: BooksCustomerPayment,
  refund: BooksPaymentRefund,
  currency: CurrencyLike,
): Parsed<{ payment: Data }> {
  if (refund.payment_id !== payment.payment_id)
    return refused('payment_id', `the refund is of payment ${refund.payment_id}`);
  const own = listOf(BooksPaymentRefundSchema, payment, LEDGER_FIELDS.paymentRefunds);
  if (!own.ok) return own;
  const refunds = upsertEntry(own.records, refund, 'payment_refund_id');
  if (refund.invoice_id !== undefined) {
    const part = (payment.invoices ?? []).find((p) => p.invoice_id === refund.invoice_id);
    if (part === undefined)
      return refused('invoice_id', `the payment was not applied to invoice ${refund.invoice_id}`);
    const taken = refunds
      .filter((r) => r.invoice_id === refund.invoice_id)
      .reduce((sum, r) => sum + toMinor(r.amount, currency), 0);
    if (taken > toMinor(part.amount_applied, currency))
      return refused(
        'amount',
        `${minorToNumber(taken, currency)} refunded out of ${part.amount_applied} applied to invoice ${refund.invoice_id}`,
      );
  }
  const unused = unusedPayment(payment, refunds, currency);
  if (!unused.ok) return unused;
  return { ok: true, payment: { ...payment, [LEDGER_FIELDS.paymentRefunds]: refunds } };
}
