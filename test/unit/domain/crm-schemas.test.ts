import { type z } from 'zod';
import {
  CRM_MODULES,
  CRM_SETTINGS,
  CrmAccountDocSchema,
  CrmContactDocSchema,
  CrmCriteriaSchema,
  CrmDealDocSchema,
  CrmInvoiceDocSchema,
  CrmOrgDocSchema,
  CrmPipelineDocSchema,
  CrmProductDocSchema,
  CrmPurchaseOrderDocSchema,
  CrmQuoteDocSchema,
  CrmRoleDocSchema,
  CrmSalesOrderDocSchema,
  CrmSubscriptionDocSchema,
  CrmUserDocSchema,
  CrmVendorDocSchema,
  CrmViewDocSchema,
} from '../../../domain/crm-schemas';
import { splitDollarKeys } from '../../../domain/safe-keys';
import { parseListResponse, validateRecords } from '../../../domain/validation';
import accountsResponse from '../../fixtures/crm-accounts-response.json';
import contactsResponse from '../../fixtures/crm-contacts-response.json';

const owner = { id: '4150868000000225013', name: 'Patricia Boyle', email: 'patricia.boyle@example.com' };
const account = { id: '4150868000000224005', Account_Name: 'Zylker Traders', Owner: owner };
const contact = { id: '4150868000000231001', Last_Name: 'Burrows', First_Name: 'Amelia' };
const deal = { id: '4150868000000260011', Deal_Name: 'Zylker Q2 office refit', Stage: 'Negotiation/Review' };
const invoice = { id: '4150868000000270001', Subject: 'Office refit' };
const org = {
  id: '60012345',
  company_name: 'Zylker Corp',
  edition: 'ENTERPRISE',
  mc_status: false,
  iso_code: 'USD',
  currency_symbol: '$',
  country: 'United States',
};

/** Parses one record and returns the first failure as "field: reason", or "ok". */
function verdict(schema: z.ZodType, record: unknown): string {
  const { invalid } = validateRecords(schema, [record]);
  return invalid[0] ? `${invalid[0].field}: ${invalid[0].reason}` : 'ok';
}

describe('CRM record schemas accept the API shapes', () => {
  it.each<[string, z.ZodType, unknown]>([
    ['a minimal account', CrmAccountDocSchema, { id: '1', Account_Name: 'A' }],
    [
      'an account with addresses and nulls',
      CrmAccountDocSchema,
      {
        ...account,
        Phone: null,
        Website: 'https://zylker.example',
        Billing_Street: '4900 Hopyard Rd',
        Billing_City: 'Pleasanton',
        Billing_State: 'CA',
        Billing_Code: '94588',
        Billing_Country: 'USA',
        Shipping_City: null,
        Created_Time: '2024-03-11T09:14:22+05:30',
        Modified_Time: '2024-06-02T12:10:05Z',
        Currency: 'USD',
        Exchange_Rate: 1,
      },
    ],
    ['a contact without first name', CrmContactDocSchema, { id: '2', Last_Name: 'Okafor', First_Name: null }],
    [
      'a contact with its account lookup',
      CrmContactDocSchema,
      {
        ...contact,
        Email: 'a.b+crm@example.co.uk',
        Account_Name: { id: account.id, name: account.Account_Name },
      },
    ],
    ['a contact with no account', CrmContactDocSchema, { ...contact, Account_Name: null }],
    [
      'a vendor',
      CrmVendorDocSchema,
      { id: '3', Vendor_Name: 'Bowman Office Supplies', Email: null, Zip_Code: '10001' },
    ],
    [
      'a product with the Goods/Services picklist',
      CrmProductDocSchema,
      {
        id: '4',
        Product_Name: 'Ergonomic Office Chair',
        Product_Code: 'CHR-ERG-01',
        Unit_Price: 249.99,
        Product_Active: true,
        Taxable: true,
        Product_Type: 'Goods',
        Tax: ['Sales Tax - 7.25 %'],
      },
    ],
    [
      'a product without type',
      CrmProductDocSchema,
      { id: '5', Product_Name: 'Consulting', Product_Type: null },
    ],
    [
      'a deal',
      CrmDealDocSchema,
      {
        ...deal,
        Probability: 75,
        Amount: 12500.5,
        Closing_Date: '2024-06-30',
        Owner: owner,
        Account_Name: { id: account.id, name: 'Zylker Traders' },
        Contact_Name: { id: contact.id, name: 'Amelia Burrows' },
        Description: 'Chairs and desks for 40 seats',
        Pipeline: 'Standard (Standard)',
      },
    ],
    [
      'a pipeline with won and lost stages',
      CrmPipelineDocSchema,
      {
        id: '3652397000000091023',
        display_value: 'Standard (Standard)',
        default: true,
        maps: [
          {
            id: '1',
            display_value: 'Qualification',
            actual_value: 'Qualification',
            sequence_number: 1,
            probability: 10,
            forecast_type: 'Open',
            forecast_category: { id: '9', name: 'Pipeline' },
          },
          {
            id: '2',
            display_value: 'Closed Won',
            actual_value: 'Closed Won',
            probability: 100,
            forecast_type: 'Closed Won',
          },
          {
            id: '3',
            display_value: 'Closed Lost',
            actual_value: 'Closed Lost',
            probability: 0,
            forecast_type: 'Closed Lost',
          },
        ],
      },
    ],
    [
      'a user',
      CrmUserDocSchema,
      {
        id: owner.id,
        full_name: owner.name,
        email: owner.email,
        role: { id: '10', name: 'Manager' },
        profile: { id: '11', name: 'Administrator' },
        status: 'active',
      },
    ],
    [
      'a role',
      CrmRoleDocSchema,
      { id: '10', name: 'Manager', reporting_to: { id: '12', name: 'CEO' }, admin_user: false },
    ],
    [
      'a predefined view',
      CrmViewDocSchema,
      {
        id: '20',
        name: 'All Accounts',
        module: 'Accounts',
        system_name: 'ALLVIEWS',
        predefined: true,
        criteria: null,
      },
    ],
    [
      'a custom view with a criteria tree',
      CrmViewDocSchema,
      {
        id: '21',
        name: 'Gold customers in CA',
        module: 'Accounts',
        system_name: null,
        predefined: false,
        criteria: {
          group_operator: 'and',
          group: [
            { field: { api_name: 'Customer_Tier', id: '77' }, comparator: 'equal', value: 'Gold' },
            {
              group_operator: 'or',
              group: [
                { field: { api_name: 'Billing_State' }, comparator: 'in', value: ['CA', 'NV'] },
                { field: { api_name: 'Annual_Revenue' }, comparator: 'greater_than', value: 1000000 },
              ],
            },
          ],
        },
      },
    ],
    ['an org', CrmOrgDocSchema, org],
    [
      'a multi-currency org',
      CrmOrgDocSchema,
      { ...org, edition: 'PROFESSIONAL', mc_status: true, iso_code: 'EUR' },
    ],
    [
      'a quote copy with v2 line items',
      CrmQuoteDocSchema,
      {
        id: '30',
        Subject: 'Chairs',
        Status: 'draft',
        Account_Name: { id: account.id, name: 'Zylker Traders' },
        Deal_Name: { id: deal.id, name: deal.Deal_Name },
        Books_Id: '460000000028901',
        Valid_Till: '2024-07-31',
        Product_Details: [
          {
            product: { id: '4', name: 'Ergonomic Office Chair', Product_Code: 'CHR-ERG-01' },
            quantity: 4,
            list_price: 249.99,
            Discount: 0,
            total: 999.96,
            net_total: 999.96,
          },
        ],
        Grand_Total: 999.96,
      },
    ],
    [
      'a sales order copy with v3 subform lines',
      CrmSalesOrderDocSchema,
      {
        id: '31',
        Subject: 'Chairs',
        Status: 'open',
        Ordered_Items: [
          { Product_Name: { id: '4', name: 'Chair' }, Quantity: 1.5, List_Price: 10, Total: 15 },
        ],
        Grand_Total: 15,
      },
    ],
    [
      'an invoice copy',
      CrmInvoiceDocSchema,
      { ...invoice, Status: 'partially_paid', Grand_Total: 1127.21, Balance: 627.21 },
    ],
    ['an invoice copy not yet pushed', CrmInvoiceDocSchema, { ...invoice, Books_Id: null, Status: null }],
    [
      'a purchase order copy',
      CrmPurchaseOrderDocSchema,
      { id: '32', Subject: 'Stock', Status: 'billed', Vendor_Name: { id: '3', name: 'Bowman' } },
    ],
    [
      'a subscription',
      CrmSubscriptionDocSchema,
      {
        id: '40',
        Subscription_Number: 'SUB-00012',
        Status: 'live',
        Account_Name: { id: account.id, name: 'Zylker Traders' },
        Plan_Name: 'Pro monthly',
        Amount: 49,
        MRR: 49,
        Interval: 1,
        Interval_Unit: 'months',
        Activated_On: '2024-01-01',
        Next_Billing_Date: '2024-07-01',
      },
    ],
  ])('%s', (_name, schema, record) => {
    expect(verdict(schema, record)).toBe('ok');
  });

  it('keeps unknown fields, custom fields above all', () => {
    const parsed = CrmAccountDocSchema.parse({
      ...account,
      Customer_Tier: 'Gold',
      Layout: { id: '9', name: 'Standard' },
    });
    expect(parsed.Customer_Tier).toBe('Gold');
    expect(parsed.Layout).toEqual({ id: '9', name: 'Standard' });
    expect(parsed.Owner).toEqual(owner);
  });

  it.each([
    ['accounts', accountsResponse, CrmAccountDocSchema, 'Customer_Tier'],
    ['contacts', contactsResponse, CrmContactDocSchema, 'Preferred_Contact_Time'],
  ])(
    'parses every record of the %s fixture, unknown fields included',
    (_name, response, schema, extraField) => {
      const records = parseListResponse(response);
      expect(records.length).toBeGreaterThan(0);
      const { valid, invalid } = validateRecords(schema, records);
      expect(invalid).toEqual([]);
      expect(valid).toEqual(records);
      expect(valid.some((r) => extraField in r)).toBe(true);
    },
  );
});

describe('CRM record schemas refuse bad records', () => {
  it.each<[string, z.ZodType, unknown, string]>([
    [
      'a contact without Last_Name',
      CrmContactDocSchema,
      { id: '2', First_Name: 'Amelia' },
      'Last_Name: required',
    ],
    [
      'a contact with an empty Last_Name',
      CrmContactDocSchema,
      { id: '2', Last_Name: '' },
      'Last_Name: required',
    ],
    [
      'a contact with a null Last_Name',
      CrmContactDocSchema,
      { id: '2', Last_Name: null },
      'Last_Name: required',
    ],
    ['a record without id', CrmContactDocSchema, { Last_Name: 'Okafor' }, 'id: required'],
    ['a numeric id', CrmContactDocSchema, { id: 42, Last_Name: 'Okafor' }, 'id: expected string, got number'],
    [
      'an id with a slash',
      CrmContactDocSchema,
      { id: 'a/b', Last_Name: 'Okafor' },
      'id: must be letters, digits, ".", "_", ":" or "-"',
    ],
    ['an account without name', CrmAccountDocSchema, { id: '1' }, 'Account_Name: required'],
    [
      'an account name of the wrong type',
      CrmAccountDocSchema,
      { id: '1', Account_Name: 7 },
      'Account_Name: expected string, got number',
    ],
    ['an owner without id', CrmAccountDocSchema, { ...account, Owner: { name: 'X' } }, 'Owner.id: required'],
    [
      'an owner with a bad email',
      CrmAccountDocSchema,
      { ...account, Owner: { ...owner, email: 'not-an-email' } },
      'Owner.email: must be an email address',
    ],
    [
      'a lookup given as a string',
      CrmContactDocSchema,
      { ...contact, Account_Name: 'Zylker' },
      'Account_Name: expected object, got string',
    ],
    [
      'a bad email',
      CrmContactDocSchema,
      { ...contact, Email: 'amelia at zylker' },
      'Email: must be an email address',
    ],
    [
      'a timestamp without zone',
      CrmAccountDocSchema,
      { ...account, Modified_Time: '2024-06-02 17:40:05' },
      'Modified_Time: must be an ISO 8601 timestamp with a time zone',
    ],
    [
      'a currency name instead of code',
      CrmAccountDocSchema,
      { ...account, Currency: 'US Dollar' },
      'Currency: must be a 3-letter ISO 4217 currency code',
    ],
    [
      'a zero exchange rate',
      CrmAccountDocSchema,
      { ...account, Exchange_Rate: 0 },
      'Exchange_Rate: must be > 0, got 0',
    ],
    ['a vendor without name', CrmVendorDocSchema, { id: '3' }, 'Vendor_Name: required'],
    ['a product without name', CrmProductDocSchema, { id: '4', Unit_Price: 1 }, 'Product_Name: required'],
    [
      'an unknown product type',
      CrmProductDocSchema,
      { id: '4', Product_Name: 'X', Product_Type: 'Hardware' },
      'Product_Type: unknown value "Hardware"; expected one of "Goods", "Services"',
    ],
    [
      'a negative unit price',
      CrmProductDocSchema,
      { id: '4', Product_Name: 'X', Unit_Price: -1 },
      'Unit_Price: must be >= 0, got -1',
    ],
    [
      'Product_Active as text',
      CrmProductDocSchema,
      { id: '4', Product_Name: 'X', Product_Active: 'true' },
      'Product_Active: expected boolean, got string',
    ],
    ['a deal without stage', CrmDealDocSchema, { id: '5', Deal_Name: 'D' }, 'Stage: required'],
    [
      'a probability above 100',
      CrmDealDocSchema,
      { ...deal, Probability: 150 },
      'Probability: must be <= 100, got 150',
    ],
    [
      'an amount as text',
      CrmDealDocSchema,
      { ...deal, Amount: '12500' },
      'Amount: expected number, got string',
    ],
    [
      'a closing date in another format',
      CrmDealDocSchema,
      { ...deal, Closing_Date: '30/06/2024' },
      'Closing_Date: must be a date as YYYY-MM-DD',
    ],
    [
      'a closing date that does not exist',
      CrmDealDocSchema,
      { ...deal, Closing_Date: '2024-02-30' },
      'Closing_Date: is not a calendar date',
    ],
    [
      'a pipeline without stages',
      CrmPipelineDocSchema,
      { id: '1', display_value: 'P', maps: [] },
      'maps: must have at least 1 item(s)',
    ],
    [
      'an unknown forecast type',
      CrmPipelineDocSchema,
      { id: '1', display_value: 'P', maps: [{ display_value: 'S', forecast_type: 'Won' }] },
      'maps.0.forecast_type: unknown value "Won"; expected one of "Open", "Closed Won", "Closed Lost"',
    ],
    [
      'an unknown user status',
      CrmUserDocSchema,
      { id: '1', full_name: 'A', email: 'a@b.co', status: 'suspended' },
      'status: unknown value "suspended"; expected one of "active", "inactive", "disabled", "deleted"',
    ],
    [
      'an unknown edition',
      CrmOrgDocSchema,
      { ...org, edition: 'GOLD' },
      'edition: unknown value "GOLD"; expected one of "FREE", "STANDARD", "PROFESSIONAL", "ENTERPRISE", "ULTIMATE"',
    ],
    [
      'mc_status as text',
      CrmOrgDocSchema,
      { ...org, mc_status: 'yes' },
      'mc_status: expected boolean, got string',
    ],
    [
      'a lower-case base currency',
      CrmOrgDocSchema,
      { ...org, iso_code: 'usd' },
      'iso_code: must be a 3-letter ISO 4217 currency code',
    ],
    [
      'an unknown comparator',
      CrmViewDocSchema,
      {
        id: '1',
        name: 'V',
        module: 'Accounts',
        criteria: { field: { api_name: 'A' }, comparator: 'like', value: 'x' },
      },
      'criteria: {"field":{"api_name":"A"},"comparator":"like","value":"x"} matches none of the accepted forms',
    ],
    [
      'an unknown status on an invoice copy',
      CrmInvoiceDocSchema,
      { ...invoice, Status: 'bogus' },
      'Status: unknown value "bogus"; expected one of "draft", "pending_approval", "approved", "sent", "viewed", "unpaid", "partially_paid", "paid", "overdue", "void"',
    ],
    [
      'an estimate status on a sales order copy',
      CrmSalesOrderDocSchema,
      { ...invoice, Status: 'accepted' },
      'Status: unknown value "accepted"; expected one of "draft", "pending_approval", "approved", "open", "onhold", "invoiced", "partially_invoiced", "overdue", "void", "closed"',
    ],
    ['a finance copy without subject', CrmQuoteDocSchema, { id: '30' }, 'Subject: required'],
    [
      'a negative quantity (v2 lines)',
      CrmQuoteDocSchema,
      { id: '30', Subject: 'S', Product_Details: [{ product: { id: '4' }, quantity: -1 }] },
      'Product_Details.0.quantity: must be > 0, got -1',
    ],
    [
      'a zero quantity (v3 lines)',
      CrmSalesOrderDocSchema,
      { id: '31', Subject: 'S', Ordered_Items: [{ Product_Name: { id: '4', name: 'C' }, Quantity: 0 }] },
      'Ordered_Items.0.Quantity: must be > 0, got 0',
    ],
    [
      'a line without product',
      CrmInvoiceDocSchema,
      { ...invoice, Product_Details: [{ quantity: 1 }] },
      'Product_Details.0.product: required',
    ],
    [
      'an unknown subscription status',
      CrmSubscriptionDocSchema,
      { id: '40', Subscription_Number: 'S-1', Status: 'active' },
      'Status: unknown value "active"; expected one of "live", "trial", "future", "non_renewing", "unpaid", "dunning", "paused", "cancelled", "expired", "trial_expired"',
    ],
    [
      'a record that is not an object',
      CrmAccountDocSchema,
      ['Zylker'],
      '(record): expected object, got array',
    ],
    ['null', CrmAccountDocSchema, null, '(record): expected object, got null'],
  ])('%s', (_name, schema, record, expected) => {
    expect(verdict(schema, record)).toBe(expected);
  });

  it.each<[string, unknown, string]>([
    ['a top-level $ key', { ...account, $where: 'sleep(1000)' }, '$where'],
    ['a $ key in a lookup', { ...account, Owner: { ...owner, $ne: null } }, 'Owner.$ne'],
    ['a $ key inside an array', { ...account, Tag: [{ name: 'VIP', $set: { admin: true } }] }, 'Tag.0.$set'],
    [
      'a $ key in a custom field deep down',
      { ...account, Custom: { a: [[{ b: { $gt: 1 } }]] } },
      'Custom.a.0.0.b.$gt',
    ],
    ['a NUL in a key', { ...account, ['Bad\0Key']: 1 }, 'Bad\0Key'],
    [
      'a __proto__ key from JSON',
      JSON.parse('{"id":"1","Account_Name":"A","__proto__":{"admin":true}}'),
      '__proto__',
    ],
  ])('refuses %s, naming its path', (_name, record, field) => {
    const { invalid } = validateRecords(CrmAccountDocSchema, [record]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.field).toBe(field);
    expect(invalid[0]?.reason).toMatch(/starts with "\$"|NUL|__proto__/);
  });

  it('refuses an unsafe key even when other fields are also wrong, before parsing them', () => {
    expect(verdict(CrmContactDocSchema, { id: '1', $or: [] })).toBe(
      '$or: key "$or" starts with "$" (reserved for MongoDB operators)',
    );
  });

  it('accepts a real export once its top-level $ metadata is split off', () => {
    const exported = { ...account, $approved: true, $editable: true, $currency_symbol: '$', $state: 'save' };
    expect(verdict(CrmAccountDocSchema, exported)).toMatch(/^\$approved: /);
    const { record, meta } = splitDollarKeys(exported);
    expect(verdict(CrmAccountDocSchema, record)).toBe('ok');
    expect(meta).toEqual({ approved: true, editable: true, currency_symbol: '$', state: 'save' });
  });
});

describe('criteria trees', () => {
  it.each([
    [{ field: { api_name: 'Email' }, comparator: 'contains', value: '@zylker' }, true],
    [{ field: { api_name: 'Tier' }, comparator: 'equal', value: null }, true],
    [
      { group_operator: 'or', group: [{ field: { api_name: 'A' }, comparator: 'starts_with', value: 'Z' }] },
      true,
    ],
    [{ group_operator: 'xor', group: [{ field: { api_name: 'A' }, comparator: 'equal', value: 1 }] }, false],
    [{ group_operator: 'and', group: [] }, false],
    [{ field: { id: '1' }, comparator: 'equal', value: 1 }, false],
    [{ field: { api_name: 'A' }, comparator: 'equal' }, false],
  ])('%j valid: %s', (criteria, ok) => {
    expect(CrmCriteriaSchema.safeParse(criteria).success).toBe(ok);
  });
});

describe('module maps', () => {
  it('name every CRM module the sync reads by its API name', () => {
    expect(Object.keys(CRM_MODULES)).toEqual([
      'Accounts',
      'Contacts',
      'Vendors',
      'Products',
      'Deals',
      'Quotes',
      'Sales_Orders',
      'Invoices',
      'Purchase_Orders',
      'Subscriptions',
    ]);
    expect(CRM_MODULES.Contacts).toBe(CrmContactDocSchema);
    expect(Object.keys(CRM_SETTINGS)).toEqual(['users', 'roles', 'pipeline', 'custom_views', 'org']);
  });

  it('give access to the object schema behind the safe-key check', () => {
    expect(Object.keys(CrmContactDocSchema.out.shape)).toContain('Last_Name');
  });
});
