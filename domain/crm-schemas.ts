import { z } from 'zod';
import {
  BOOKS_ESTIMATE_STATUSES,
  BOOKS_INVOICE_STATUSES,
  BOOKS_PURCHASE_ORDER_STATUSES,
  BOOKS_SALES_ORDER_STATUSES,
} from './books-schemas';
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
 * Zoho CRM API (v2 and later) records, field for field as the API's JSON (`id`, `Account_Name`,
 * `Owner: {id, name, email}`, `Modified_Time`, …), so exported CRM data loads as is. Known fields are strict
 * about presence, type and enum values; unknown fields — custom fields above all — are kept (`looseObject`).
 * Zoho sends null for an empty field, so every optional field also accepts null. Records are kept exactly
 * in the API shape: the store adds its own envelope (org, sync metadata) around them.
 */

const doc = <S extends z.ZodRawShape>(shape: S) => safeKeys(z.looseObject(shape));

const text = z.string().nullish();
const id = RecordIdSchema;
const number = z.number().nullish();
const bool = z.boolean().nullish();
const email = EmailSchema.nullish();
const date = IsoDateSchema.nullish();
const timestamp = TimestampSchema.nullish();

/** A lookup field: `{"id": "…", "name": "…"}`, or null when empty. */
export const CrmLookupSchema = z.looseObject({ id: RecordIdSchema, name: text });
export type CrmLookup = z.infer<typeof CrmLookupSchema>;

/** A user reference (`Owner`, `Created_By`, `Modified_By`). */
export const CrmUserRefSchema = z.looseObject({ id: RecordIdSchema, name: text, email });
export type CrmUserRef = z.infer<typeof CrmUserRefSchema>;

const lookup = CrmLookupSchema.nullish();

/** Fields every CRM record carries. */
const recordShape = {
  id,
  Owner: CrmUserRefSchema.nullish(),
  Created_By: CrmUserRefSchema.nullish(),
  Modified_By: CrmUserRefSchema.nullish(),
  Created_Time: timestamp,
  Modified_Time: timestamp,
  Currency: CurrencyCodeSchema.nullish(),
  Exchange_Rate: z.number().gt(0).nullish(),
  Tag: z.array(z.looseObject({ name: z.string() })).nullish(),
};

// ---------------------------------------------------------------------------------------------------------
// Master data

export const CrmAccountDocSchema = doc({
  Account_Name: z.string().min(1),
  ...recordShape,
  Account_Number: text,
  Account_Type: text,
  Industry: text,
  Phone: text,
  Fax: text,
  Website: text,
  Parent_Account: lookup,
  Billing_Street: text,
  Billing_City: text,
  Billing_State: text,
  Billing_Code: text,
  Billing_Country: text,
  Shipping_Street: text,
  Shipping_City: text,
  Shipping_State: text,
  Shipping_Code: text,
  Shipping_Country: text,
  Annual_Revenue: number,
  Employees: z.number().int().min(0).nullish(),
  Description: text,
});
export type CrmAccount = z.infer<typeof CrmAccountDocSchema>;

export const CrmContactDocSchema = doc({
  Last_Name: z.string().min(1),
  ...recordShape,
  First_Name: text,
  Salutation: text,
  Full_Name: text,
  Email: email,
  Secondary_Email: email,
  Phone: text,
  Mobile: text,
  Title: text,
  Department: text,
  Account_Name: lookup,
  Vendor_Name: lookup,
  Mailing_Street: text,
  Mailing_City: text,
  Mailing_State: text,
  Mailing_Zip: text,
  Mailing_Country: text,
  Other_Street: text,
  Other_City: text,
  Other_State: text,
  Other_Zip: text,
  Other_Country: text,
  Description: text,
});
export type CrmContact = z.infer<typeof CrmContactDocSchema>;

export const CrmVendorDocSchema = doc({
  Vendor_Name: z.string().min(1),
  ...recordShape,
  Email: email,
  Phone: text,
  Website: text,
  GL_Account: text,
  Category: text,
  Street: text,
  City: text,
  State: text,
  Zip_Code: text,
  Country: text,
  Description: text,
});
export type CrmVendor = z.infer<typeof CrmVendorDocSchema>;

/** Values of the Goods/Services picklist that maps to the Books item's product type (S2.5). */
export const CRM_PRODUCT_TYPES = ['Goods', 'Services'] as const;

export const CrmProductDocSchema = doc({
  Product_Name: z.string().min(1),
  ...recordShape,
  Product_Code: text,
  Product_Active: bool,
  Product_Category: text,
  Product_Type: z.enum(CRM_PRODUCT_TYPES).nullish(),
  Unit_Price: z.number().min(0).nullish(),
  Usage_Unit: text,
  Taxable: bool,
  Tax: z.array(z.union([z.string(), z.looseObject({ value: z.string() })])).nullish(),
  Vendor_Name: lookup,
  Qty_in_Stock: number,
  Description: text,
});
export type CrmProduct = z.infer<typeof CrmProductDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Deals and pipelines

export const CrmDealDocSchema = doc({
  Deal_Name: z.string().min(1),
  Stage: z.string().min(1),
  ...recordShape,
  Probability: z.number().min(0).max(100).nullish(),
  Amount: number,
  Expected_Revenue: number,
  Closing_Date: date,
  Account_Name: lookup,
  Contact_Name: lookup,
  Pipeline: text,
  Type: text,
  Lead_Source: text,
  Next_Step: text,
  Description: text,
});
export type CrmDeal = z.infer<typeof CrmDealDocSchema>;

/** Zoho's forecast type of a stage: what a deal in it means (S5.5). */
export const CRM_FORECAST_TYPES = ['Open', 'Closed Won', 'Closed Lost'] as const;

export const CrmPipelineStageSchema = z.looseObject({
  id: RecordIdSchema.nullish(),
  display_value: z.string().min(1),
  actual_value: text,
  sequence_number: z.number().int().min(0).nullish(),
  /** From the Stage picklist: won = 100, lost = 0 (S5.5). */
  probability: z.number().min(0).max(100).nullish(),
  forecast_type: z.enum(CRM_FORECAST_TYPES).nullish(),
  forecast_category: z.looseObject({ id: RecordIdSchema.nullish(), name: z.string() }).nullish(),
});
export type CrmPipelineStage = z.infer<typeof CrmPipelineStageSchema>;

/** A Deals pipeline as the settings API gives it: the pipeline's stages are its `maps`. */
export const CrmPipelineDocSchema = doc({
  id,
  display_value: z.string().min(1),
  actual_value: text,
  default: bool,
  maps: z.array(CrmPipelineStageSchema).min(1),
});
export type CrmPipeline = z.infer<typeof CrmPipelineDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Users, roles, views, organization

export const CRM_USER_STATUSES = ['active', 'inactive', 'disabled', 'deleted'] as const;

export const CrmUserDocSchema = doc({
  id,
  full_name: z.string().min(1),
  email: EmailSchema,
  status: z.enum(CRM_USER_STATUSES),
  first_name: text,
  last_name: text,
  role: CrmLookupSchema.nullish(),
  profile: CrmLookupSchema.nullish(),
  zuid: text,
  confirm: bool,
  created_time: timestamp,
  Modified_Time: timestamp,
});
export type CrmUser = z.infer<typeof CrmUserDocSchema>;

export const CrmRoleDocSchema = doc({
  id,
  name: z.string().min(1),
  display_label: text,
  reporting_to: lookup,
  admin_user: bool,
  description: text,
});
export type CrmRole = z.infer<typeof CrmRoleDocSchema>;

/** Comparators of Zoho CRM criteria. */
export const CRM_COMPARATORS = [
  'equal',
  'not_equal',
  'in',
  'not_in',
  'greater_than',
  'greater_equal',
  'less_than',
  'less_equal',
  'between',
  'not_between',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
] as const;
export type CrmComparator = (typeof CRM_COMPARATORS)[number];

export type CrmCriteriaValue =
  string | number | boolean | null | (string | number | boolean)[] | Record<string, unknown>;

export interface CrmCriteriaCondition {
  field: { api_name: string; [key: string]: unknown };
  comparator: CrmComparator;
  value: CrmCriteriaValue;
  [key: string]: unknown;
}

export interface CrmCriteriaGroup {
  group_operator: 'and' | 'or';
  group: CrmCriteria[];
  [key: string]: unknown;
}

/** A view's criteria tree: a condition, or an and/or group of criteria. */
export type CrmCriteria = CrmCriteriaCondition | CrmCriteriaGroup;

const CrmCriteriaValueSchema = z.union([
  JsonScalarSchema,
  z.array(z.union([z.string(), z.number(), z.boolean()])),
  z.looseObject({}),
]);

export const CrmCriteriaSchema: z.ZodType<CrmCriteria> = z.lazy(() =>
  z.union([
    z.looseObject({
      group_operator: z.enum(['and', 'or']),
      group: z.array(CrmCriteriaSchema).min(1),
    }),
    z.looseObject({
      field: z.looseObject({ api_name: z.string().min(1) }),
      comparator: z.enum(CRM_COMPARATORS),
      value: CrmCriteriaValueSchema,
    }),
  ]),
);

/** A list view (S2.4): predefined ones (All, My, Recently Created, …) have a system_name and no criteria. */
export const CrmViewDocSchema = doc({
  id,
  name: z.string().min(1),
  module: z.string().min(1),
  display_value: text,
  system_name: text,
  predefined: bool,
  default: bool,
  criteria: CrmCriteriaSchema.nullish(),
});
export type CrmView = z.infer<typeof CrmViewDocSchema>;

/** CRM editions, lowest first, so "Professional or above" (S1.2) is an index comparison. */
export const CRM_EDITIONS = ['FREE', 'STANDARD', 'PROFESSIONAL', 'ENTERPRISE', 'ULTIMATE'] as const;
export type CrmEdition = (typeof CRM_EDITIONS)[number];

export const CrmOrgDocSchema = doc({
  id,
  company_name: z.string().min(1),
  edition: z.enum(CRM_EDITIONS),
  /** Multi-currency enabled. */
  mc_status: z.boolean(),
  /** The base currency. */
  iso_code: CurrencyCodeSchema,
  currency_symbol: text,
  currency: text,
  country: text,
  country_code: text,
  time_zone: text,
  primary_email: email,
  domain_name: text,
  /** S1.3: the Books orgs connected to this CRM org, as the CRM shows them. */
  books_organizations: z
    .array(
      z.object({
        organization_id: id,
        name: z.string().min(1),
        email: email,
        country: text,
        environment: z.enum(['production', 'sandbox']),
        direction: z.enum(['two_way', 'one_way']),
      }),
    )
    .optional(),
});
export type CrmOrg = z.infer<typeof CrmOrgDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Finance modules (S4.1): the CRM-side copies of Books estimates, sales orders, invoices and purchase orders

/** A line as the v2 API gives it, under `Product_Details`. */
export const CrmProductDetailSchema = z.looseObject({
  id: RecordIdSchema.nullish(),
  product: z.looseObject({ id: RecordIdSchema, name: text, Product_Code: text }),
  quantity: z.number().gt(0),
  list_price: z.number().min(0).nullish(),
  Discount: z.number().min(0).nullish(),
  Tax: z.number().min(0).nullish(),
  total: number,
  total_after_discount: number,
  net_total: number,
  product_description: text,
});
export type CrmProductDetail = z.infer<typeof CrmProductDetailSchema>;

/** A line as the v3+ subforms give it (`Quoted_Items`, `Ordered_Items`, `Invoiced_Items`, `Purchase_Items`). */
export const CrmItemLineSchema = z.looseObject({
  id: RecordIdSchema.nullish(),
  Product_Name: CrmLookupSchema,
  Quantity: z.number().gt(0),
  List_Price: z.number().min(0).nullish(),
  Discount: z.number().min(0).nullish(),
  Tax: z.number().min(0).nullish(),
  Total: number,
  Net_Total: number,
  Description: text,
});
export type CrmItemLine = z.infer<typeof CrmItemLineSchema>;

function financeShape<S extends readonly [string, ...string[]]>(statuses: S) {
  return {
    Subject: z.string().min(1),
    ...recordShape,
    /** The Books document this copy mirrors; null until it has been pushed. */
    Books_Id: RecordIdSchema.nullish(),
    Status: z.enum(statuses).nullish(),
    Account_Name: lookup,
    Contact_Name: lookup,
    Deal_Name: lookup,
    Product_Details: z.array(CrmProductDetailSchema).nullish(),
    Sub_Total: number,
    Discount: z.number().min(0).nullish(),
    Tax: z.number().min(0).nullish(),
    Adjustment: number,
    Grand_Total: number,
    Billing_Street: text,
    Billing_City: text,
    Billing_State: text,
    Billing_Code: text,
    Billing_Country: text,
    Terms_and_Conditions: text,
    Description: text,
  };
}

export const CrmQuoteDocSchema = doc({
  ...financeShape(BOOKS_ESTIMATE_STATUSES),
  Quoted_Items: z.array(CrmItemLineSchema).nullish(),
  Quote_Number: text,
  Valid_Till: date,
});
export type CrmQuote = z.infer<typeof CrmQuoteDocSchema>;

export const CrmSalesOrderDocSchema = doc({
  ...financeShape(BOOKS_SALES_ORDER_STATUSES),
  Ordered_Items: z.array(CrmItemLineSchema).nullish(),
  SO_Number: text,
  Due_Date: date,
  Quote_Name: lookup,
});
export type CrmSalesOrder = z.infer<typeof CrmSalesOrderDocSchema>;

export const CrmInvoiceDocSchema = doc({
  ...financeShape(BOOKS_INVOICE_STATUSES),
  Invoiced_Items: z.array(CrmItemLineSchema).nullish(),
  Invoice_Number: text,
  Invoice_Date: date,
  Due_Date: date,
  Sales_Order: lookup,
  /** Mirrored from Books with the status (S9.3). */
  Balance: number,
  Payment_Made: number,
});
export type CrmInvoice = z.infer<typeof CrmInvoiceDocSchema>;

export const CrmPurchaseOrderDocSchema = doc({
  ...financeShape(BOOKS_PURCHASE_ORDER_STATUSES),
  Purchase_Items: z.array(CrmItemLineSchema).nullish(),
  PO_Number: text,
  PO_Date: date,
  Due_Date: date,
  Vendor_Name: lookup,
});
export type CrmPurchaseOrder = z.infer<typeof CrmPurchaseOrderDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// Subscriptions (S7)

/** Subscription statuses of the billing product. */
export const CRM_SUBSCRIPTION_STATUSES = [
  'live',
  'trial',
  'future',
  'non_renewing',
  'unpaid',
  'dunning',
  'paused',
  'cancelled',
  'expired',
  'trial_expired',
] as const;

export const CrmSubscriptionDocSchema = doc({
  Subscription_Number: z.string().min(1),
  Status: z.enum(CRM_SUBSCRIPTION_STATUSES),
  ...recordShape,
  Account_Name: lookup,
  Contact_Name: lookup,
  Plan_Name: text,
  Plan_Code: text,
  Amount: z.number().min(0).nullish(),
  MRR: z.number().min(0).nullish(),
  Interval: z.number().int().gt(0).nullish(),
  Interval_Unit: z.enum(['days', 'weeks', 'months', 'years']).nullish(),
  Activated_On: date,
  Next_Billing_Date: date,
  Cancelled_On: date,
  /** The subscription's id in the billing product. */
  Billing_Id: RecordIdSchema.nullish(),
});
export type CrmSubscription = z.infer<typeof CrmSubscriptionDocSchema>;

// ---------------------------------------------------------------------------------------------------------
// By API name

/** Each CRM record module's API name (`GET /crm/v2/<Module>`) to its record schema. */
export const CRM_MODULES = {
  Accounts: CrmAccountDocSchema,
  Contacts: CrmContactDocSchema,
  Vendors: CrmVendorDocSchema,
  Products: CrmProductDocSchema,
  Deals: CrmDealDocSchema,
  Quotes: CrmQuoteDocSchema,
  Sales_Orders: CrmSalesOrderDocSchema,
  Invoices: CrmInvoiceDocSchema,
  Purchase_Orders: CrmPurchaseOrderDocSchema,
  Subscriptions: CrmSubscriptionDocSchema,
} as const;

export type CrmModule = keyof typeof CRM_MODULES;

/** The CRM's settings and metadata, by the list key of their API responses (`{"users": [...]}`, …). */
export const CRM_SETTINGS = {
  users: CrmUserDocSchema,
  roles: CrmRoleDocSchema,
  pipeline: CrmPipelineDocSchema,
  custom_views: CrmViewDocSchema,
  org: CrmOrgDocSchema,
} as const;

export type CrmSetting = keyof typeof CRM_SETTINGS;
