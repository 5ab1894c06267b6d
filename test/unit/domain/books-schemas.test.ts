import { type z } from 'zod';
import {
  BOOKS_ID_KEYS,
  BOOKS_MODULES,
  BooksContactDocSchema,
  BooksCreditNoteDocSchema,
  BooksCurrencyDocSchema,
  BooksCustomerPaymentDocSchema,
  BooksEstimateDocSchema,
  BooksInvoiceDocSchema,
  BooksItemDocSchema,
  BooksOrganizationDocSchema,
  BooksPurchaseOrderDocSchema,
  BooksRoleDocSchema,
  BooksSalesOrderDocSchema,
  BooksTaxDocSchema,
  BooksUserDocSchema,
  type BooksModule,
} from '../../../domain/books-schemas';
import { parseListPage, validateRecords } from '../../../domain/validation';
import contactsResponse from '../../fixtures/books-contacts-response.json';
import invoicesResponse from '../../fixtures/books-invoices-response.json';
import itemsResponse from '../../fixtures/books-items-response.json';

const contact = { contact_id: '460000000026049', contact_name: 'Zylker Traders', contact_type: 'customer' };
const line = { item_id: '460000000027009', name: 'Chair', rate: 249.99, quantity: 4 };
const invoice = {
  invoice_id: '460000000028003',
  invoice_number: 'INV-000118',
  customer_id: contact.contact_id,
  date: '2024-06-03',
  status: 'draft',
};
const payment = {
  payment_id: '460000000029001',
  customer_id: contact.contact_id,
  payment_mode: 'banktransfer',
  amount: 100,
  date: '2024-06-10',
};

function verdict(schema: z.ZodType, record: unknown): string {
  const { invalid } = validateRecords(schema, [record]);
  return invalid[0] ? `${invalid[0].field}: ${invalid[0].reason}` : 'ok';
}

describe('Books document schemas accept the API shapes', () => {
  it.each<[string, z.ZodType, unknown]>([
    ['a minimal customer', BooksContactDocSchema, contact],
    [
      'a business customer with persons, addresses and custom fields',
      BooksContactDocSchema,
      {
        ...contact,
        company_name: 'Zylker Traders',
        customer_sub_type: 'business',
        status: 'active',
        currency_id: '460000000000097',
        currency_code: 'USD',
        email: '',
        billing_address: {
          attention: 'AP',
          address: '4900 Hopyard Rd',
          street2: '',
          city: 'Pleasanton',
          state: 'CA',
          zip: '94588',
          country: 'U.S.A',
          phone: '',
        },
        shipping_address: {},
        contact_persons: [
          {
            contact_person_id: '1',
            salutation: 'Ms.',
            first_name: 'Amelia',
            last_name: 'Burrows',
            email: 'amelia@zylker.example',
            phone: '',
            mobile: '',
            is_primary_contact: true,
          },
          { first_name: 'New', last_name: 'Person' },
        ],
        custom_fields: [
          {
            customfield_id: '46000000063900',
            api_name: 'cf_tier',
            label: 'Tier',
            value: 'Gold',
            data_type: 'dropdown',
          },
          { api_name: 'cf_regions', value: ['West', 'North'] },
          { label: 'Onboarded', value: true },
        ],
        created_time: '2024-03-11T09:25:40-0700',
        last_modified_time: '2024-06-02T12:10:11Z',
      },
    ],
    [
      'an individual customer',
      BooksContactDocSchema,
      { ...contact, contact_name: 'Chinwe Okafor', customer_sub_type: 'individual' },
    ],
    ['a vendor', BooksContactDocSchema, { ...contact, contact_type: 'vendor', status: 'inactive' }],
    [
      'goods',
      BooksItemDocSchema,
      { item_id: '1', name: 'Chair', rate: 249.99, product_type: 'goods', status: 'active', sku: 'C-1' },
    ],
    [
      'a service',
      BooksItemDocSchema,
      { item_id: '2', name: 'Consulting', rate: 120, product_type: 'service', tax_id: '' },
    ],
    [
      'a digital service',
      BooksItemDocSchema,
      { item_id: '3', name: 'E-book', rate: 0, product_type: 'digital_service' },
    ],
    [
      'an invoice with lines, a percentage discount and custom fields',
      BooksInvoiceDocSchema,
      {
        ...invoice,
        status: 'sent',
        due_date: '2024-06-18',
        currency_code: 'USD',
        exchange_rate: 1,
        discount: '10%',
        is_discount_before_tax: true,
        discount_type: 'entity_level',
        line_items: [
          {
            ...line,
            line_item_id: '5',
            description: '',
            discount: 0,
            tax_id: '7',
            tax_percentage: 7.25,
            item_total: 999.96,
          },
          { name: 'Setup', rate: 120, quantity: 1.5, discount: '5%' },
          { name: 'Freight', rate: 20, quantity: 1, discount: '2.50' },
        ],
        sub_total: 1179.96,
        tax_total: 65.25,
        total: 1127.21,
        balance: 1127.21,
        payment_made: 0,
        salesperson_name: 'Patricia Boyle',
        reference_number: 'PO-7781',
        custom_fields: [{ customfield_id: '9', value: 'West' }],
      },
    ],
    [
      'an invoice from a list page (no lines)',
      BooksInvoiceDocSchema,
      { ...invoice, status: 'overdue', total: 10, balance: 10, due_date: '' },
    ],
    ...[
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
    ].map((status): [string, z.ZodType, unknown] => [
      `an invoice in status ${status}`,
      BooksInvoiceDocSchema,
      { ...invoice, status },
    ]),
    [
      'an estimate linked to a deal',
      BooksEstimateDocSchema,
      {
        estimate_id: '1',
        estimate_number: 'QT-1',
        customer_id: '2',
        date: '2024-06-01',
        expiry_date: '2024-06-30',
        status: 'accepted',
        zcrm_potential_id: '4150868000000260011',
        line_items: [line],
      },
    ],
    [
      'a sales order',
      BooksSalesOrderDocSchema,
      {
        salesorder_id: '1',
        salesorder_number: 'SO-1',
        customer_id: '2',
        date: '2024-06-01',
        status: 'open',
        line_items: [line],
      },
    ],
    [
      'a purchase order',
      BooksPurchaseOrderDocSchema,
      {
        purchaseorder_id: '1',
        purchaseorder_number: 'PO-1',
        vendor_id: '3',
        date: '2024-06-01',
        status: 'issued',
        line_items: [line],
      },
    ],
    [
      'a credit note',
      BooksCreditNoteDocSchema,
      {
        creditnote_id: '1',
        creditnote_number: 'CN-1',
        customer_id: '2',
        date: '2024-06-01',
        status: 'open',
        total: 50,
        balance: 50,
      },
    ],
    [
      'a payment applied to two invoices',
      BooksCustomerPaymentDocSchema,
      {
        ...payment,
        invoices: [
          { invoice_id: '1', amount_applied: 60.1 },
          { invoice_id: '2', amount_applied: 39.9 },
        ],
      },
    ],
    [
      'a payment with unapplied credit',
      BooksCustomerPaymentDocSchema,
      { ...payment, invoices: [], unused_amount: 100 },
    ],
    [
      'a user',
      BooksUserDocSchema,
      {
        user_id: '1',
        name: 'Patricia Boyle',
        email: 'patricia.boyle@example.com',
        status: 'active',
        role_id: '5',
        user_role: 'staff',
      },
    ],
    ['a role', BooksRoleDocSchema, { role_id: '5', role_name: 'Integration User (CRM)', description: '' }],
    [
      'an organization with its quote preference',
      BooksOrganizationDocSchema,
      {
        organization_id: '10234695',
        name: 'Zillum',
        email: 'admin@zillum.example',
        country: 'U.S.A',
        currency_id: '1',
        currency_code: 'USD',
        is_quote_to_invoice_enabled: true,
        quote_to_invoice_mode: 'draft',
        tax_rounding: 'item_level',
      },
    ],
    [
      'the base currency',
      BooksCurrencyDocSchema,
      {
        currency_id: '1',
        currency_code: 'USD',
        currency_symbol: '$',
        price_precision: 2,
        is_base_currency: true,
        exchange_rate: 0,
      },
    ],
    [
      'a 3-decimal currency',
      BooksCurrencyDocSchema,
      {
        currency_id: '2',
        currency_code: 'KWD',
        price_precision: 3,
        is_base_currency: false,
        exchange_rate: 3.25,
      },
    ],
    [
      'a tax',
      BooksTaxDocSchema,
      { tax_id: '7', tax_name: 'CA Sales Tax', tax_percentage: 7.25, tax_type: 'tax' },
    ],
  ])('%s', (_name, schema, record) => {
    expect(verdict(schema, record)).toBe('ok');
  });

  it.each([
    ['contacts', contactsResponse, BooksContactDocSchema, 'portal_status'],
    ['items', itemsResponse, BooksItemDocSchema, 'image_name'],
    ['invoices', invoicesResponse, BooksInvoiceDocSchema, 'template_name'],
  ])(
    'parses every record of the %s fixture, unknown fields included',
    (key, response, schema, extraField) => {
      const page = parseListPage(response);
      expect(page).toMatchObject({ format: 'books', hasMore: false, page: 1 });
      expect(page.records.length).toBeGreaterThan(0);
      const { valid, invalid } = validateRecords(schema, page.records, {
        idKey: BOOKS_ID_KEYS[key as BooksModule],
      });
      expect(invalid).toEqual([]);
      expect(valid).toEqual(page.records);
      expect(valid.some((r) => extraField in r)).toBe(true);
    },
  );
});

describe('Books document schemas refuse bad records', () => {
  it.each<[string, z.ZodType, unknown, string]>([
    [
      'a contact without name',
      BooksContactDocSchema,
      { contact_id: '1', contact_type: 'customer' },
      'contact_name: required',
    ],
    [
      'a contact without type',
      BooksContactDocSchema,
      { contact_id: '1', contact_name: 'A' },
      'contact_type: required',
    ],
    [
      'an unknown contact type',
      BooksContactDocSchema,
      { ...contact, contact_type: 'lead' },
      'contact_type: unknown value "lead"; expected one of "customer", "vendor"',
    ],
    [
      'an unknown sub type',
      BooksContactDocSchema,
      { ...contact, customer_sub_type: 'company' },
      'customer_sub_type: unknown value "company"; expected one of "business", "individual"',
    ],
    [
      'an unknown contact status',
      BooksContactDocSchema,
      { ...contact, status: 'archived' },
      'status: unknown value "archived"; expected one of "active", "inactive"',
    ],
    [
      'a bad email',
      BooksContactDocSchema,
      { ...contact, email: 'zylker' },
      'email: must be an email address',
    ],
    [
      'a numeric zip',
      BooksContactDocSchema,
      { ...contact, billing_address: { zip: 94588 } },
      'billing_address.zip: expected string, got number',
    ],
    [
      'a primary flag as text',
      BooksContactDocSchema,
      { ...contact, contact_persons: [{ first_name: 'A', is_primary_contact: 'yes' }] },
      'contact_persons.0.is_primary_contact: expected boolean, got string',
    ],
    [
      'contact persons as an object',
      BooksContactDocSchema,
      { ...contact, contact_persons: { first_name: 'A' } },
      'contact_persons: expected array, got object',
    ],
    [
      'a custom field with no name',
      BooksContactDocSchema,
      { ...contact, custom_fields: [{ value: 'Gold' }] },
      'custom_fields.0: a custom field needs customfield_id, api_name or label',
    ],
    [
      'a timestamp without zone',
      BooksContactDocSchema,
      { ...contact, last_modified_time: '2024-06-03 09:30:00' },
      'last_modified_time: must be an ISO 8601 timestamp with a time zone',
    ],
    [
      'a lower-case currency',
      BooksContactDocSchema,
      { ...contact, currency_code: 'usd' },
      'currency_code: must be a 3-letter ISO 4217 currency code',
    ],
    ['an item without name', BooksItemDocSchema, { item_id: '1', rate: 1 }, 'name: required'],
    ['an item without rate', BooksItemDocSchema, { item_id: '1', name: 'A' }, 'rate: required'],
    [
      'a negative rate',
      BooksItemDocSchema,
      { item_id: '1', name: 'A', rate: -1 },
      'rate: must be >= 0, got -1',
    ],
    [
      'a rate as text',
      BooksItemDocSchema,
      { item_id: '1', name: 'A', rate: '10.00' },
      'rate: expected number, got string',
    ],
    [
      'an unknown product type',
      BooksItemDocSchema,
      { item_id: '1', name: 'A', rate: 1, product_type: 'hardware' },
      'product_type: unknown value "hardware"; expected one of "goods", "service", "digital_service"',
    ],
    [
      'an unknown invoice status',
      BooksInvoiceDocSchema,
      { ...invoice, status: 'settled' },
      'status: unknown value "settled"; expected one of "draft", "pending_approval", "approved", "sent", "viewed", "unpaid", "partially_paid", "paid", "overdue", "void"',
    ],
    [
      'an invoice without status',
      BooksInvoiceDocSchema,
      { ...invoice, status: undefined },
      'status: required',
    ],
    [
      'an invoice without customer',
      BooksInvoiceDocSchema,
      { ...invoice, customer_id: '' },
      'customer_id: required',
    ],
    [
      'an invoice date that does not exist',
      BooksInvoiceDocSchema,
      { ...invoice, date: '2024-13-01' },
      'date: is not a calendar date',
    ],
    [
      'a negative quantity',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [{ ...line, quantity: -2 }] },
      'line_items.0.quantity: must be > 0, got -2',
    ],
    [
      'a zero quantity',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [line, { ...line, quantity: 0 }] },
      'line_items.1.quantity: must be > 0, got 0',
    ],
    [
      'a quantity as text',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [{ ...line, quantity: '2' }] },
      'line_items.0.quantity: expected number, got string',
    ],
    [
      'a line without item or name',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [{ rate: 1, quantity: 1 }] },
      'line_items.0: a line item needs an item_id or a name',
    ],
    [
      'no lines at all',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [] },
      'line_items: must have at least 1 item(s)',
    ],
    [
      'a discount in words',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [{ ...line, discount: '10 percent' }] },
      'line_items.0.discount: must be an amount >= 0 or a percentage from 0% to 100%',
    ],
    [
      'a discount above 100%',
      BooksInvoiceDocSchema,
      { ...invoice, discount: '120%' },
      'discount: must be an amount >= 0 or a percentage from 0% to 100%',
    ],
    [
      'a negative discount',
      BooksInvoiceDocSchema,
      { ...invoice, discount: -5 },
      'discount: must be >= 0, got -5',
    ],
    ['a negative total', BooksInvoiceDocSchema, { ...invoice, total: -1 }, 'total: must be >= 0, got -1'],
    [
      'a zero exchange rate',
      BooksInvoiceDocSchema,
      { ...invoice, exchange_rate: 0 },
      'exchange_rate: must be > 0, got 0',
    ],
    [
      'an unknown tax rounding',
      BooksInvoiceDocSchema,
      { ...invoice, tax_rounding: 'per_line' },
      'tax_rounding: unknown value "per_line"; expected one of "entity_level", "item_level"',
    ],
    [
      'an invoice status on an estimate',
      BooksEstimateDocSchema,
      { estimate_id: '1', estimate_number: 'QT-1', customer_id: '2', date: '2024-06-01', status: 'paid' },
      'status: unknown value "paid"; expected one of "draft", "pending_approval", "approved", "sent", "viewed", "accepted", "declined", "invoiced", "expired"',
    ],
    [
      'a purchase order without vendor',
      BooksPurchaseOrderDocSchema,
      { purchaseorder_id: '1', purchaseorder_number: 'PO-1', date: '2024-06-01', status: 'open' },
      'vendor_id: required',
    ],
    [
      'a credit note in status paid',
      BooksCreditNoteDocSchema,
      { creditnote_id: '1', creditnote_number: 'CN-1', customer_id: '2', date: '2024-06-01', status: 'paid' },
      'status: unknown value "paid"; expected one of "draft", "pending_approval", "approved", "open", "closed", "void"',
    ],
    [
      'a zero payment',
      BooksCustomerPaymentDocSchema,
      { ...payment, amount: 0 },
      'amount: must be > 0, got 0',
    ],
    [
      'a payment without mode',
      BooksCustomerPaymentDocSchema,
      { ...payment, payment_mode: '' },
      'payment_mode: required',
    ],
    [
      'a negative amount applied',
      BooksCustomerPaymentDocSchema,
      { ...payment, invoices: [{ invoice_id: '1', amount_applied: -1 }] },
      'invoices.0.amount_applied: must be >= 0, got -1',
    ],
    [
      'more applied than paid',
      BooksCustomerPaymentDocSchema,
      {
        ...payment,
        invoices: [
          { invoice_id: '1', amount_applied: 60.1 },
          { invoice_id: '2', amount_applied: 39.91 },
        ],
      },
      'invoices: amounts applied (100.01) exceed the payment amount (100)',
    ],
    [
      'an unknown user status',
      BooksUserDocSchema,
      { user_id: '1', name: 'A', email: 'a@b.co', status: 'locked' },
      'status: unknown value "locked"; expected one of "active", "inactive", "invited", "deleted"',
    ],
    [
      'a user without email',
      BooksUserDocSchema,
      { user_id: '1', name: 'A', status: 'active' },
      'email: required',
    ],
    [
      'an organization without base currency',
      BooksOrganizationDocSchema,
      { organization_id: '1', name: 'Zillum' },
      'currency_code: required',
    ],
    [
      'an unknown quote preference',
      BooksOrganizationDocSchema,
      { organization_id: '1', name: 'Z', currency_code: 'USD', quote_to_invoice_mode: 'email' },
      'quote_to_invoice_mode: unknown value "email"; expected one of "draft", "send"',
    ],
    [
      'a fractional precision',
      BooksCurrencyDocSchema,
      { currency_id: '1', currency_code: 'USD', price_precision: 2.5, is_base_currency: true },
      'price_precision: expected int, got number',
    ],
    [
      'a negative tax',
      BooksTaxDocSchema,
      { tax_id: '1', tax_name: 'T', tax_percentage: -7 },
      'tax_percentage: must be >= 0, got -7',
    ],
    [
      'an unknown tax type',
      BooksTaxDocSchema,
      { tax_id: '1', tax_name: 'T', tax_percentage: 7, tax_type: 'vat' },
      'tax_type: unknown value "vat"; expected one of "tax", "compound_tax", "tax_group"',
    ],
  ])('%s', (_name, schema, record, expected) => {
    expect(verdict(schema, record)).toBe(expected);
  });

  it.each<[string, z.ZodType, unknown, string]>([
    ['a top-level $ key', BooksContactDocSchema, { ...contact, $where: '1' }, '$where'],
    [
      'a $ key in an address',
      BooksContactDocSchema,
      { ...contact, billing_address: { city: 'X', $set: { a: 1 } } },
      'billing_address.$set',
    ],
    [
      'a $ key in a contact person',
      BooksContactDocSchema,
      { ...contact, contact_persons: [{ first_name: 'A' }, { $ne: null }] },
      'contact_persons.1.$ne',
    ],
    [
      'a $ key in a line item',
      BooksInvoiceDocSchema,
      { ...invoice, line_items: [{ ...line, $inc: { total: 1 } }] },
      'line_items.0.$inc',
    ],
    [
      'a $ key in a custom field value',
      BooksItemDocSchema,
      { item_id: '1', name: 'A', rate: 1, custom_fields: [{ api_name: 'cf', value: { $gt: '' } }] },
      'custom_fields.0.value.$gt',
    ],
    ['a NUL in a key', BooksItemDocSchema, { item_id: '1', name: 'A', rate: 1, ['sku\0']: 'x' }, 'sku\0'],
    [
      'a __proto__ key',
      BooksContactDocSchema,
      JSON.parse(
        '{"contact_id":"1","contact_name":"A","contact_type":"customer","billing_address":{"__proto__":{"x":1}}}',
      ),
      'billing_address.__proto__',
    ],
  ])('refuses %s, naming its path', (_name, schema, record, field) => {
    const { invalid } = validateRecords(schema, [record]);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]?.field).toBe(field);
  });
});

describe('BooksExpenseDocSchema', () => {
  it('takes a billable expense and one billed to no customer, and refuses a negative amount by field', () => {
    const base = { expense_id: 'e1', date: '2026-12-01', amount: 120, account_name: 'Travel' };
    expect(
      validateRecords(BOOKS_MODULES.expenses, [{ ...base, customer_id: 'c1', status: 'unbilled' }, base])
        .invalid,
    ).toEqual([]);
    const { invalid } = validateRecords(BOOKS_MODULES.expenses, [{ ...base, amount: -5 }]);
    expect(invalid[0]).toMatchObject({ field: 'amount' });
  });
});

describe('BOOKS_MODULES', () => {
  it('maps every Books list key to its schema and id field', () => {
    expect(Object.keys(BOOKS_MODULES)).toEqual([
      'contacts',
      'items',
      'estimates',
      'salesorders',
      'invoices',
      'purchaseorders',
      'customerpayments',
      'creditnotes',
      'expenses',
      'users',
      'roles',
      'organizations',
      'currencies',
      'taxes',
    ]);
    expect(Object.keys(BOOKS_ID_KEYS).sort()).toEqual(Object.keys(BOOKS_MODULES).sort());
  });

  it.each(Object.entries(BOOKS_ID_KEYS))('requires the %s id field %s', (module, idKey) => {
    const schema = BOOKS_MODULES[module as BooksModule];
    const { invalid } = validateRecords(schema, [{}]);
    expect(invalid[0]?.field).toBe(idKey);
    expect(invalid[0]?.reason).toBe('required');
  });
});
