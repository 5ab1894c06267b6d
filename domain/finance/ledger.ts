import { z } from 'zod';
import { BooksCustomerPaymentDocSchema, type BooksCustomerPayment } from '../books-schemas';
import { minorToNumber } from '../money';
import type { FieldProblem } from '../validation';
import {
  BooksInvoiceCreditSchema,
  BooksPaymentRefundSchema,
  type BooksInvoiceCredit,
  type BooksPaymentRefund,
} from './documents';
import { settleInvoice, type InvoiceSettlementInput, type SettlementResult } from './payments';
import { currencyOf, type BooksOrgSettings } from './posting-checks';
import { accountReceivables, type AccountReceivables, type ReceivableInvoice } from './receivables';

/*
 * Where the records that settle an invoice live in the Books store (issue 16, item 6), and what they add up
 * to for one customer. Books keeps them on the documents they belong to, as its API returns them: an
 * invoice lists the credits applied to it (`credits`), a credit note the invoices it credits
 * (`invoices_credited`) and its refunds (`creditnote_refunds`), a payment its refunds (`payment_refunds`).
 * So an invoice's settlement needs its own document and its customer's payments, never a search of the
 * credit notes: on FerretDB every read but one by `_id` scans its collection.
 */

type Data = Record<string, unknown>;

/** The fields of the Books documents that hold settlement records. */
export const LEDGER_FIELDS = {
  invoiceCredits: 'credits',
  creditNoteCredits: 'invoices_credited',
  creditNoteRefunds: 'creditnote_refunds',
  paymentRefunds: 'payment_refunds',
} as const;

export type Parsed<T> = ({ ok: true } & T) | { ok: false; problems: FieldProblem[] };

/** A document's list of records in `field`, each parsed; an absent list is empty. */
export function listOf<T>(schema: z.ZodType<T>, doc: Data, field: string): Parsed<{ records: T[] }> {
  const value = doc[field];
  if (value === undefined || value === null) return { ok: true, records: [] };
  const parsed = z.array(schema).safeParse(value);
  if (parsed.success) return { ok: true, records: parsed.data };
  const issue = parsed.error.issues[0];
  const path = [field, ...(issue?.path ?? [])].join('.');
  return { ok: false, problems: [{ field: path, reason: issue?.message ?? 'invalid' }] };
}

/** An invoice's settlement records: its customer's payments and their refunds, and its own credits. */
export type InvoiceRecords = Pick<InvoiceSettlementInput, 'payments' | 'credits' | 'refunds'>;

/** A customer's payments as the store holds them, and their refunds. */
export interface CustomerPayments {
  payments: BooksCustomerPayment[];
  refunds: BooksPaymentRefund[];
}

/** Parses a customer's payments and the refunds each lists. Pure; a malformed one is named. */
export function customerPaymentsOf(docs: readonly Data[]): Parsed<CustomerPayments> {
  const payments: BooksCustomerPayment[] = [];
  const refunds: BooksPaymentRefund[] = [];
  for (const [index, doc] of docs.entries()) {
    const payment = BooksCustomerPaymentDocSchema.safeParse(doc);
    const own = listOf(BooksPaymentRefundSchema, doc, LEDGER_FIELDS.paymentRefunds);
    if (!payment.success)
      return {
        ok: false,
        problems: [{ field: `payments.${index}`, reason: payment.error.issues[0]!.message }],
      };
    if (!own.ok)
      return {
        ok: false,
        problems: own.problems.map((p) => ({ ...p, field: `payments.${index}.${p.field}` })),
      };
    payments.push(payment.data);
    refunds.push(...own.records);
  }
  return { ok: true, payments, refunds };
}

/** What settles `invoice`: the customer's payments and refunds, and the credits the invoice lists. Pure. */
export function invoiceRecordsOf(invoice: Data, paid: CustomerPayments): Parsed<{ records: InvoiceRecords }> {
  const credits = listOf<BooksInvoiceCredit>(BooksInvoiceCreditSchema, invoice, LEDGER_FIELDS.invoiceCredits);
  if (!credits.ok) return credits;
  return { ok: true, records: { payments: paid.payments, credits: credits.records, refunds: paid.refunds } };
}

export interface CustomerReceivablesInput {
  /** Every Books invoice of the customer, as the store holds it. */
  invoices: readonly Data[];
  paid: CustomerPayments;
  org: BooksOrgSettings;
  /** YYYY-MM-DD: the day statuses and aging are judged on. */
  asOf: string;
}

/**
 * A customer's sales total, outstanding receivables and aging (S10.1), each invoice settled by its payments,
 * credits and refunds first, since Books' stored balance lags them. An invoice whose records do not settle
 * it (refused by settleInvoice) counts with the figures Books reports for it: it is recorded as a failure
 * of its own document, and should not hold back its customer's figures. Pure.
 */
export function customerReceivables(input: CustomerReceivablesInput): SettlementResult<AccountReceivables> {
  const settled = input.invoices.map((invoice) => settledReceivable(invoice, input));
  return accountReceivables(settled, input.org, input.asOf);
}

/** An invoice as the receivables read it, its status, balance and total as its settlement leaves them. */
function settledReceivable(invoice: Data, input: CustomerReceivablesInput): ReceivableInvoice {
  const reported = invoice as ReceivableInvoice;
  const records = invoiceRecordsOf(invoice, input.paid);
  const code = reported.currency_code || input.org.organization.currency_code;
  const currency = currencyOf(input.org, code);
  if (!records.ok || currency === undefined) return reported;
  const settled = settleInvoice({
    ...records.records,
    invoice: reported as InvoiceSettlementInput['invoice'],
    currency,
    asOf: input.asOf,
  });
  if (!settled.ok) return reported;
  return {
    ...reported,
    status: settled.status as ReceivableInvoice['status'],
    total: minorToNumber(settled.total, currency),
    balance: minorToNumber(settled.balance, currency),
  };
}
