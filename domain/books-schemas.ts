import { z } from 'zod';
import { parseDiscount, compareAmounts, sumAmounts } from './money';
import { safeKeys } from './safe-keys';
import {
  CurrencyCodeSchema,
  EmailSchema,
  IsoDateSchema,
  JsonScalarSchema,
  RecordIdSchema,
  TimestampSchema,
} from './validation';

/*
 * Zoho Books API v3 documents, field for field as the API's JSON (snake_case), so data exported from Books
 * loads as is and what we store could be posted back. Known fields are strict about presence, type and
 * enum values; unknown fields are kept (`looseObject`) so a round trip loses nothing. Every document schema
 * refuses keys that MongoDB would read as operators (safe-keys.ts). Books sends "" for an empty text field,
 * so optional text fields accept it; emails and dates may be "" too.
 */

const doc = <S extends z.ZodRawShape>(shape: S) => safeKeys(z.looseObject(shape));

const text = z.string().optional();
const id = RecordIdSchema;
const optionalId = z.union([RecordIdSchema, z.literal('')]).optional();
const amount = z.number().optional();
const nonNegative = z.number().min(0).optional();
const optionalEmail = z.union([EmailSchema, z.literal('')]).optional();
const optionalDate = z.union([IsoDateSchema, z.literal('')]).optional();
const optionalTimestamp = z.union([TimestampSchema, z.literal('')]).optional();
const optionalCurrency = z.union([CurrencyCodeSchema, z.literal('')]).optional();

// ---------------------------------------------------------------------------------------------------------
// Parts

export const BooksAddressSchema = z.looseObject({
  attention: text,
  address: text,
  street2: text,
  city: text,
  state: text,
  state_code: text,
  zip: text,
  country: text,
  fax: text,
  phone: text,
});
export type BooksAddress = z.infer<typeof BooksAddressSchema>;

export const BooksCustomFieldValueSchema = z.union([
  JsonScalarSchema,
  z.array(JsonScalarSchema),
  z.looseObject({}),
]);

export const BooksCustomFieldSchema = z
  .looseObject({
    customfield_id: optionalId,
    api_name: text,
    label: text,
    value: BooksCustomFieldValueSchema.optional(),
    data_type: text,
    index: z.number().int().optional(),
  })
  .refine((field) => Boolean(field.customfield_id || field.api_name || field.label), {
    message: 'a custom field needs customfield_id, api_name or label',
  });
export type BooksCustomField = z.infer<typeof BooksCustomFieldSchema>;

export const BooksContactPersonSchema = z.looseObject({
  contact_person_id: optionalId,
  salutation: text,
  first_name: text,
  last_name: text,
  email: optionalEmail,
  phone: text,
  mobile: text,
  designation: text,
  department: text,
  is_primary_contact: z.boolean().optional(),
});
export type BooksContactPerson = z.infer<typeof BooksContactPersonSchema>;

function isDiscountText(value: string): boolean {
  try {
    parseDiscount(value);
    return true;
  } catch {
    return false;
  }
}

/** Zoho's discount: an amount (number or decimal text) or a percentage text such as "10%". */
export const BooksDiscountSchema = z.union([
  z.number().min(0),
  z.string().refine(isDiscountText, 'must be an amount >= 0 or a percentage from 0% to 100%'),
]);

export const BooksLineItemSchema = z
  .looseObject({
    line_item_id: optionalId,
    item_id: optionalId,
    name: text,
    description: text,
    item_order: z.number().int().min(0).optional(),
    rate: z.number().min(0),
    quantity: z.number().gt(0),
    unit: text,
    discount: BooksDiscountSchema.optional(),
    discount_amount: nonNegative,
    tax_id: optionalId,
    tax_name: text,
    tax_type: text,
    tax_percentage: nonNegative,
    item_total: amount,
    bcy_rate: nonNegative,
    product_type: text,
    hsn_or_sac: text,
    item_custom_fields: z.array(BooksCustomFieldSchema).optional(),
  })
  .refine((line) => Boolean(line.item_id || line.name), {
    message: 'a line item needs an item_id or a name',
  });
export type BooksLineItem = z.infer<typeof BooksLineItemSchema>;

// ---------------------------------------------------------------------------------------------------------
// Statuses

export const BOOKS_CONTACT_TYPES = ['customer', 'vendor'] as const;
export const BOOKS_CUSTOMER_SUB_TYPES = ['business', 'individual'] as const;
export const BOOKS_ACTIVE_STATUSES = ['active', 'inactive'] as const;
export const BOOKS_PRODUCT_TYPES = ['goods', 'service', 'digital_service'] as const;

/** The invoice lifecycle, approvals included. */
export const BOOKS_INVOICE_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'sent',
  'viewed',
  'unpaid',
  'partially_paid',
  'paid',
  'overdue',
  'void',
] as const;
export const BOOKS_ESTIMATE_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'sent',
  'viewed',
  'accepted',
  'declined',
  'invoiced',
  'expired',
] as const;
export const BOOKS_SALES_ORDER_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'open',
  'onhold',
  'invoiced',
  'partially_invoiced',
  'overdue',
  'void',
  'closed',
] as const;
export const BOOKS_PURCHASE_ORDER_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'open',
  'issued',
  'billed',
  'partially_billed',
  'cancelled',
  'closed',
] as const;
export const BOOKS_CREDIT_NOTE_STATUSES = [
  'draft',
  'pending_approval',
  'approved',
  'open',
  'closed',
  'void',
] as const;
export const BOOKS_USER_STATUSES = ['active', 'inactive', 'invited', 'deleted'] as const;
/** An expense's billing state in Books: billable to a customer (unbilled, then invoiced), or not. */
export const BOOKS_EXPENSE_STATUSES = ['unbilled', 'invoiced', 'reimbursed', 'nonbillable'] as const;
export const BOOKS_TAX_ROUNDINGS = ['entity_level', 'item_level'] as const;
export const BOOKS_DISCOUNT_TYPES = ['entity_level', 'item_level'] as const;

export type BooksInvoiceStatus = (typeof BOOKS_INVOICE_STATUSES)[number];
export type BooksEstimateStatus = (typeof BOOKS_ESTIMATE_STATUSES)[number];
export type BooksSalesOrderStatus = (typeof BOOKS_SALES_ORDER_STATUSES)[number];
export type BooksPurchaseOrderStatus = (typeof BOOKS_PURCHASE_ORDER_STATUSES)[number];
export type BooksCreditNoteStatus = (typeof BOOKS_CREDIT_NOTE_STATUSES)[number];

// ---------------------------------------------------------------------------------------------------------
// Master data

export const BooksContactDocSchema = doc({
  contact_id: id,
  contact_name: z.string().min(1),
  contact_type: z.enum(BOOKS_CONTACT_TYPES),
  customer_sub_type: z.enum(BOOKS_CUSTOMER_SUB_TYPES).optional(),
  company_name: text,
  status: z.enum(BOOKS_ACTIVE_STATUSES).optional(),
  first_name: text,
  last_name: text,
  email: optionalEmail,
  phone: text,
  mobile: text,
  website: text,
  currency_id: optionalId,
  currency_code: optionalCurrency,
  payment_terms: z.number().int().min(0).optional(),
  payment_terms_label: text,
  billing_address: BooksAddressSchema.optional(),
  shipping_address: BooksAddressSchema.optional(),
  contact_persons: z.array(BooksContactPersonSchema).optional(),
  custom_fields: z.array(BooksCustomFieldSchema).optional(),
  notes: text,
  outstanding_receivable_amount: amount,
  unused_credits_receivable_amount: amount,
  is_linked_with_zohocrm: z.boolean().optional(),
  zcrm_account_id: optionalId,
  zcrm_contact_id: optionalId,
  zcrm_vendor_id: optionalId,
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksContact = z.infer<typeof BooksContactDocSchema>;

export const BooksItemDocSchema = doc({
  item_id: id,
  name: z.string().min(1),
  rate: z.number().min(0),
  sku: text,
  description: text,
  unit: text,
  product_type: z.enum(BOOKS_PRODUCT_TYPES).optional(),
  status: z.enum(BOOKS_ACTIVE_STATUSES).optional(),
  item_type: text,
  tax_id: optionalId,
  tax_name: text,
  tax_percentage: nonNegative,
  is_taxable: z.boolean().optional(),
  purchase_rate: nonNegative,
  purchase_description: text,
  custom_fields: z.array(BooksCustomFieldSchema).optional(),
  zcrm_product_id: optionalId,
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksItem = z.infer<typeof BooksItemDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Transactions

/** Fields every sales document shares. List responses omit line_items, so they are optional. */
const salesShape = {
  customer_id: id,
  customer_name: text,
  date: IsoDateSchema,
  currency_id: optionalId,
  currency_code: optionalCurrency,
  exchange_rate: z.number().gt(0).optional(),
  line_items: z.array(BooksLineItemSchema).min(1).optional(),
  discount: BooksDiscountSchema.optional(),
  discount_amount: nonNegative,
  discount_type: z.enum(BOOKS_DISCOUNT_TYPES).optional(),
  is_discount_before_tax: z.boolean().optional(),
  is_inclusive_tax: z.boolean().optional(),
  tax_rounding: z.enum(BOOKS_TAX_ROUNDINGS).optional(),
  sub_total: nonNegative,
  tax_total: nonNegative,
  adjustment: amount,
  adjustment_description: text,
  shipping_charge: nonNegative,
  total: nonNegative,
  salesperson_id: optionalId,
  salesperson_name: text,
  reference_number: text,
  notes: text,
  terms: text,
  billing_address: BooksAddressSchema.optional(),
  shipping_address: BooksAddressSchema.optional(),
  custom_fields: z.array(BooksCustomFieldSchema).optional(),
  zcrm_potential_id: optionalId,
  zcrm_potential_name: text,
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
};

export const BooksEstimateDocSchema = doc({
  estimate_id: id,
  estimate_number: z.string().min(1),
  status: z.enum(BOOKS_ESTIMATE_STATUSES),
  expiry_date: optionalDate,
  ...salesShape,
});
export type BooksEstimate = z.infer<typeof BooksEstimateDocSchema>;

export const BooksSalesOrderDocSchema = doc({
  salesorder_id: id,
  salesorder_number: z.string().min(1),
  status: z.enum(BOOKS_SALES_ORDER_STATUSES),
  shipment_date: optionalDate,
  order_status: text,
  invoiced_status: text,
  paid_status: text,
  estimate_id: optionalId,
  ...salesShape,
});
export type BooksSalesOrder = z.infer<typeof BooksSalesOrderDocSchema>;

export const BooksInvoiceDocSchema = doc({
  invoice_id: id,
  invoice_number: z.string().min(1),
  status: z.enum(BOOKS_INVOICE_STATUSES),
  due_date: optionalDate,
  payment_terms: z.number().int().min(0).optional(),
  payment_terms_label: text,
  balance: nonNegative,
  payment_made: nonNegative,
  credits_applied: nonNegative,
  write_off_amount: nonNegative,
  estimate_id: optionalId,
  salesorder_id: optionalId,
  invoice_url: text,
  ...salesShape,
});
export type BooksInvoice = z.infer<typeof BooksInvoiceDocSchema>;

export const BooksCreditNoteDocSchema = doc({
  creditnote_id: id,
  creditnote_number: z.string().min(1),
  status: z.enum(BOOKS_CREDIT_NOTE_STATUSES),
  invoice_id: optionalId,
  balance: nonNegative,
  ...salesShape,
});
export type BooksCreditNote = z.infer<typeof BooksCreditNoteDocSchema>;

export const BooksPurchaseOrderDocSchema = doc({
  purchaseorder_id: id,
  purchaseorder_number: z.string().min(1),
  status: z.enum(BOOKS_PURCHASE_ORDER_STATUSES),
  vendor_id: id,
  vendor_name: text,
  date: IsoDateSchema,
  delivery_date: optionalDate,
  currency_id: optionalId,
  currency_code: optionalCurrency,
  exchange_rate: z.number().gt(0).optional(),
  line_items: z.array(BooksLineItemSchema).min(1).optional(),
  discount: BooksDiscountSchema.optional(),
  is_discount_before_tax: z.boolean().optional(),
  is_inclusive_tax: z.boolean().optional(),
  sub_total: nonNegative,
  tax_total: nonNegative,
  adjustment: amount,
  total: nonNegative,
  reference_number: text,
  notes: text,
  terms: text,
  delivery_address: BooksAddressSchema.optional(),
  custom_fields: z.array(BooksCustomFieldSchema).optional(),
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksPurchaseOrder = z.infer<typeof BooksPurchaseOrderDocSchema>;

/**
 * An expense (`GET /books/v3/expenses`): an amount spent on an account, billable to a customer when it has
 * one. What a deal may be associated with (S4.3) when the customer is the deal's.
 */
export const BooksExpenseDocSchema = doc({
  expense_id: id,
  date: IsoDateSchema,
  account_id: optionalId,
  account_name: text,
  paid_through_account_name: text,
  amount: z.number().min(0),
  total: nonNegative,
  currency_code: optionalCurrency,
  status: z.enum(BOOKS_EXPENSE_STATUSES).optional(),
  is_billable: z.boolean().optional(),
  customer_id: optionalId,
  customer_name: text,
  vendor_id: optionalId,
  vendor_name: text,
  reference_number: text,
  description: text,
  custom_fields: z.array(BooksCustomFieldSchema).optional(),
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksExpense = z.infer<typeof BooksExpenseDocSchema>;

export const BooksPaymentInvoiceSchema = z.looseObject({
  invoice_id: id,
  invoice_number: text,
  amount_applied: z.number().min(0),
});

export const BooksCustomerPaymentDocSchema = safeKeys(
  z
    .looseObject({
      payment_id: id,
      payment_number: text,
      customer_id: id,
      customer_name: text,
      payment_mode: z.string().min(1),
      amount: z.number().gt(0),
      date: IsoDateSchema,
      reference_number: text,
      description: text,
      currency_code: optionalCurrency,
      exchange_rate: z.number().gt(0).optional(),
      bank_charges: nonNegative,
      unused_amount: nonNegative,
      account_id: optionalId,
      invoices: z.array(BooksPaymentInvoiceSchema).optional(),
      custom_fields: z.array(BooksCustomFieldSchema).optional(),
      created_time: optionalTimestamp,
      last_modified_time: optionalTimestamp,
    })
    .superRefine((payment, ctx) => {
      const applied = sumAmounts((payment.invoices ?? []).map((invoice) => invoice.amount_applied));
      if (compareAmounts(applied, payment.amount) > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['invoices'],
          message: `amounts applied (${applied}) exceed the payment amount (${payment.amount})`,
        });
      }
    }),
);
export type BooksCustomerPayment = z.infer<typeof BooksCustomerPaymentDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Users, roles and organization settings

export const BooksUserDocSchema = doc({
  user_id: id,
  name: z.string().min(1),
  email: EmailSchema,
  status: z.enum(BOOKS_USER_STATUSES),
  role_id: optionalId,
  user_role: text,
  user_type: text,
  is_current_user: z.boolean().optional(),
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksUser = z.infer<typeof BooksUserDocSchema>;

export const BooksRoleDocSchema = doc({
  role_id: id,
  role_name: z.string().min(1),
  description: text,
  is_system_role: z.boolean().optional(),
});
export type BooksRole = z.infer<typeof BooksRoleDocSchema>;

export const BooksOrganizationDocSchema = doc({
  organization_id: id,
  name: z.string().min(1),
  /** The base currency, compared with the CRM's (S1.2). */
  currency_code: CurrencyCodeSchema,
  currency_id: optionalId,
  currency_symbol: text,
  email: optionalEmail,
  contact_name: text,
  country: text,
  country_code: text,
  time_zone: text,
  price_precision: z.number().int().min(0).max(8).optional(),
  is_default_org: z.boolean().optional(),
  /** Quote preference (S5.2): an accepted quote becomes an invoice… */
  is_quote_to_invoice_enabled: z.boolean().optional(),
  /** …saved as a draft, or sent to the customer. */
  quote_to_invoice_mode: z.enum(['draft', 'send']).optional(),
  tax_rounding: z.enum(BOOKS_TAX_ROUNDINGS).optional(),
  created_time: optionalTimestamp,
  last_modified_time: optionalTimestamp,
});
export type BooksOrganization = z.infer<typeof BooksOrganizationDocSchema>;

export const BooksCurrencyDocSchema = doc({
  currency_id: id,
  currency_code: CurrencyCodeSchema,
  currency_name: text,
  currency_symbol: text,
  price_precision: z.number().int().min(0).max(8),
  currency_format: text,
  is_base_currency: z.boolean(),
  /** Books reports 0 for the base currency itself. */
  exchange_rate: z.number().min(0).optional(),
});
export type BooksCurrency = z.infer<typeof BooksCurrencyDocSchema>;

export const BooksTaxDocSchema = doc({
  tax_id: id,
  tax_name: z.string().min(1),
  tax_percentage: z.number().min(0),
  tax_type: z.enum(['tax', 'compound_tax', 'tax_group']).optional(),
  tax_specific_type: text,
  is_default_tax: z.boolean().optional(),
  is_editable: z.boolean().optional(),
});
export type BooksTax = z.infer<typeof BooksTaxDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// By API list key

/** Each Books API list key (`GET /books/v3/<key>` answers `{"<key>": [...]}`) to its document schema. */
export const BOOKS_MODULES = {
  contacts: BooksContactDocSchema,
  items: BooksItemDocSchema,
  estimates: BooksEstimateDocSchema,
  salesorders: BooksSalesOrderDocSchema,
  invoices: BooksInvoiceDocSchema,
  purchaseorders: BooksPurchaseOrderDocSchema,
  customerpayments: BooksCustomerPaymentDocSchema,
  creditnotes: BooksCreditNoteDocSchema,
  expenses: BooksExpenseDocSchema,
  users: BooksUserDocSchema,
  roles: BooksRoleDocSchema,
  organizations: BooksOrganizationDocSchema,
  currencies: BooksCurrencyDocSchema,
  taxes: BooksTaxDocSchema,
} as const;

export type BooksModule = keyof typeof BOOKS_MODULES;

/** The id field of each Books module's records. */
export const BOOKS_ID_KEYS: Readonly<Record<BooksModule, string>> = {
  contacts: 'contact_id',
  items: 'item_id',
  estimates: 'estimate_id',
  salesorders: 'salesorder_id',
  invoices: 'invoice_id',
  purchaseorders: 'purchaseorder_id',
  customerpayments: 'payment_id',
  creditnotes: 'creditnote_id',
  expenses: 'expense_id',
  users: 'user_id',
  roles: 'role_id',
  organizations: 'organization_id',
  currencies: 'currency_id',
  taxes: 'tax_id',
};

/** The key of each Books module's single-record response (`GET /invoices/{id}` answers `{"invoice": {...}}`). */
export const BOOKS_RECORD_KEYS: Readonly<Record<BooksModule, string>> = {
  contacts: 'contact',
  items: 'item',
  estimates: 'estimate',
  salesorders: 'salesorder',
  invoices: 'invoice',
  purchaseorders: 'purchaseorder',
  customerpayments: 'payment',
  creditnotes: 'creditnote',
  expenses: 'expense',
  users: 'user',
  roles: 'role',
  organizations: 'organization',
  currencies: 'currency',
  taxes: 'tax',
};
