import {
  addressMaps,
  contactBooksFields,
  contactsInScope,
  enabledCurrency,
  required,
  text,
  type KindSpec,
} from './spec';

/**
 * A CRM account and a Books Business customer (S2.1). The display name is mandatory and owned by the CRM; the
 * company name also takes the account name, and since both Books fields map to `Account_Name`, the mandatory
 * display name is the one pushed back to the CRM.
 */
export const account: KindSpec = {
  kind: 'account',
  entity: 'customer',
  crmModule: 'Accounts',
  booksModule: 'contacts',
  booksIdKey: 'contact_id',
  module: 'customers',
  labels: { plural: 'accounts', crm: 'CRM account', books: 'Books Business customer' },
  nameField: { crm: 'Account_Name', books: 'contact_name' },
  defaultFieldMaps: [
    { crmField: 'Account_Name', booksField: 'contact_name', mandatory: true, owner: 'crm' },
    { crmField: 'Account_Name', booksField: 'company_name' },
    { crmField: 'Phone', booksField: 'phone' },
    { crmField: 'Website', booksField: 'website' },
    { crmField: 'Currency', booksField: 'currency_code', owner: 'crm' },
    ...addressMaps('Billing', 'billing_address'),
    ...addressMaps('Shipping', 'shipping_address'),
  ],
  booksFields: contactBooksFields(),
  viewOf: (config) => ({ viewId: config.customers.accountViewId, path: 'customers.accountViewId' }),
  crmName: (d) => text(d.Account_Name),
  booksName: (d) => text(d.contact_name),
  booksInScope: contactsInScope('customer', 'business'),
  newBooks: () => ({ contact_type: 'customer', customer_sub_type: 'business', status: 'active' }),
  validateForBooks: (v, ctx) =>
    required(v, 'Account_Name', 'the account name (Books display name)') ?? enabledCurrency(v, ctx),
  validateForCrm: (v, ctx) =>
    required(v, 'Account_Name', 'the customer display name (CRM account name)') ?? enabledCurrency(v, ctx),
  firstDirection: 'crm_to_books',
};
