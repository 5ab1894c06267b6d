import { z } from 'zod';
import {
  BOOKS_DISCOUNT_TYPES,
  BOOKS_TAX_ROUNDINGS,
  BooksDiscountSchema,
  BooksEstimateDocSchema,
  BooksInvoiceDocSchema,
  BooksLineItemSchema,
  BooksPurchaseOrderDocSchema,
  BooksSalesOrderDocSchema,
} from '../books-schemas';
import {
  CrmInvoiceDocSchema,
  CrmPurchaseOrderDocSchema,
  CrmQuoteDocSchema,
  CrmSalesOrderDocSchema,
} from '../crm-schemas';
import { safeKeys } from '../safe-keys';
import { CurrencyCodeSchema, IsoDateSchema, RecordIdSchema } from '../validation';

/*
 * The finance documents on both sides. The stored shapes of the four document types already live with the
 * other API schemas (crm-schemas.ts: Quotes, Sales_Orders, Invoices, Purchase_Orders; books-schemas.ts:
 * estimates, salesorders, invoices, purchaseorders, customer payments, credit notes): they are named here,
 * not written again, so one schema per API shape stays the rule. What is new is what the money and payment
 * rules read: the amounts part of a Books document (also of one not yet posted, which has no id) and the
 * Books records that settle an invoice or a credit note (credits applied, refunds).
 */

/** The four document types that transaction sync carries (S4.1). */
export const FINANCE_KINDS = ['estimate', 'salesorder', 'invoice', 'purchaseorder'] as const;
export type FinanceKind = (typeof FINANCE_KINDS)[number];

/** Who a document is with: a customer (sales) or a vendor (purchases). */
export type FinanceParty = 'customer' | 'vendor';

/** The API shapes of one document type on each side, by their module names. */
export interface FinanceDocumentShapes {
  crmModule: 'Quotes' | 'Sales_Orders' | 'Invoices' | 'Purchase_Orders';
  crmSchema: z.ZodType;
  booksModule: 'estimates' | 'salesorders' | 'invoices' | 'purchaseorders';
  booksSchema: z.ZodType;
  /** The Books id field (`estimate_id`, …). */
  booksIdKey: string;
  party: FinanceParty;
}

export const FINANCE_DOCUMENT_SHAPES: Readonly<Record<FinanceKind, FinanceDocumentShapes>> = {
  estimate: {
    crmModule: 'Quotes',
    crmSchema: CrmQuoteDocSchema,
    booksModule: 'estimates',
    booksSchema: BooksEstimateDocSchema,
    booksIdKey: 'estimate_id',
    party: 'customer',
  },
  salesorder: {
    crmModule: 'Sales_Orders',
    crmSchema: CrmSalesOrderDocSchema,
    booksModule: 'salesorders',
    booksSchema: BooksSalesOrderDocSchema,
    booksIdKey: 'salesorder_id',
    party: 'customer',
  },
  invoice: {
    crmModule: 'Invoices',
    crmSchema: CrmInvoiceDocSchema,
    booksModule: 'invoices',
    booksSchema: BooksInvoiceDocSchema,
    booksIdKey: 'invoice_id',
    party: 'customer',
  },
  purchaseorder: {
    crmModule: 'Purchase_Orders',
    crmSchema: CrmPurchaseOrderDocSchema,
    booksModule: 'purchaseorders',
    booksSchema: BooksPurchaseOrderDocSchema,
    booksIdKey: 'purchaseorder_id',
    party: 'vendor',
  },
};

// ---------------------------------------------------------------------------------------------------------
// What the money rules read

/**
 * The amounts part of a Books estimate, sales order, invoice, credit note or purchase order, posted or about
 * to be: every other field is kept but not read. Lines use the Books line shape (rate, decimal quantity,
 * discount as an amount or "10%", tax_id, tax_percentage).
 */
export const BooksDocumentAmountsSchema = safeKeys(
  z.looseObject({
    currency_code: CurrencyCodeSchema.optional(),
    exchange_rate: z.number().gt(0).optional(),
    date: IsoDateSchema.optional(),
    line_items: z.array(BooksLineItemSchema).min(1),
    discount: BooksDiscountSchema.optional(),
    discount_type: z.enum(BOOKS_DISCOUNT_TYPES).optional(),
    is_discount_before_tax: z.boolean().optional(),
    is_inclusive_tax: z.boolean().optional(),
    tax_rounding: z.enum(BOOKS_TAX_ROUNDINGS).optional(),
    adjustment: z.number().optional(),
    sub_total: z.number().optional(),
    tax_total: z.number().optional(),
    total: z.number().optional(),
  }),
);
export type BooksDocumentAmounts = z.infer<typeof BooksDocumentAmountsSchema>;

// ---------------------------------------------------------------------------------------------------------
// What settles an invoice or a credit note

/** One credit note's credits applied to one invoice (Books' `invoices_credited` of a credit note). */
export const BooksInvoiceCreditSchema = safeKeys(
  z.looseObject({
    creditnote_invoice_id: RecordIdSchema.optional(),
    creditnote_id: RecordIdSchema,
    invoice_id: RecordIdSchema,
    date: IsoDateSchema,
    amount_applied: z.number().gt(0),
  }),
);
export type BooksInvoiceCredit = z.infer<typeof BooksInvoiceCreditSchema>;

/** Fields a refund has, whatever it refunds. */
const refundShape = {
  date: IsoDateSchema,
  amount: z.number().gt(0),
  refund_mode: z.string().optional(),
  reference_number: z.string().optional(),
  description: z.string().optional(),
  exchange_rate: z.number().gt(0).optional(),
  from_account_id: RecordIdSchema.optional(),
};

/** Money paid back out of a credit note's balance (Books' `creditnote_refunds`). */
export const BooksCreditNoteRefundSchema = safeKeys(
  z.looseObject({
    creditnote_refund_id: RecordIdSchema,
    creditnote_id: RecordIdSchema,
    ...refundShape,
  }),
);
export type BooksCreditNoteRefund = z.infer<typeof BooksCreditNoteRefundSchema>;

/**
 * Money paid back out of a customer payment (Books' `payment_refunds`). With `invoice_id` it is taken out of
 * the part of the payment applied to that invoice, which reopens the invoice's balance (S9.9's partial
 * refunds); without it, out of the payment's unused amount.
 */
export const BooksPaymentRefundSchema = safeKeys(
  z.looseObject({
    payment_refund_id: RecordIdSchema,
    payment_id: RecordIdSchema,
    invoice_id: RecordIdSchema.optional(),
    ...refundShape,
  }),
);
export type BooksPaymentRefund = z.infer<typeof BooksPaymentRefundSchema>;
