import { contactBooksFields, contactsInScope, enabledCurrency, required, text, type KindSpec } from './spec';

/** A CRM vendor and a Books vendor (S2.6). */
export const vendor: KindSpec = {
  kind: 'vendor',
  entity: 'vendor',
  crmModule: 'Vendors',
  booksModule: 'contacts',
  booksIdKey: 'contact_id',
  module: 'vendors',
  labels: { plural: 'vendors', crm: 'CRM vendor', books: 'Books vendor' },
  nameField: { crm: 'Vendor_Name', books: 'contact_name' },
  defaultFieldMaps: [
    { crmField: 'Vendor_Name', booksField: 'contact_name', mandatory: true, owner: 'crm' },
    { crmField: 'Vendor_Name', booksField: 'company_name' },
    { crmField: 'Email', booksField: 'email' },
    { crmField: 'Phone', booksField: 'phone' },
    { crmField: 'Website', booksField: 'website' },
    { crmField: 'Currency', booksField: 'currency_code', owner: 'crm' },
    { crmField: 'Street', booksField: 'billing_address.address' },
    { crmField: 'City', booksField: 'billing_address.city' },
    { crmField: 'State', booksField: 'billing_address.state' },
    { crmField: 'Zip_Code', booksField: 'billing_address.zip' },
    { crmField: 'Country', booksField: 'billing_address.country' },
  ],
  booksFields: contactBooksFields(),
  viewOf: (config) => ({ viewId: config.vendors.viewId, path: 'vendors.viewId' }),
  crmName: (d) => text(d.Vendor_Name),
  booksName: (d) => text(d.contact_name),
  booksInScope: contactsInScope('vendor'),
  newBooks: () => ({ contact_type: 'vendor', status: 'active' }),
  validateForBooks: (v, ctx) => required(v, 'Vendor_Name', 'the vendor name') ?? enabledCurrency(v, ctx),
  validateForCrm: (v, ctx) =>
    required(v, 'Vendor_Name', 'the vendor display name') ?? enabledCurrency(v, ctx),
  firstDirection: 'crm_to_books',
};
