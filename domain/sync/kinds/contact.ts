import { crmContactFullName } from '../names';
import {
  addressMaps,
  contactBooksFields,
  contactsInScope,
  enabledCurrency,
  required,
  text,
  type KindSpec,
} from './spec';

/** The CRM contact field naming its account: a contact without one is an orphan. */
export const ACCOUNT_FIELD = 'Account_Name';

/** The id of the account a CRM contact belongs to; undefined for an orphan. */
export function accountIdOf(contact: Record<string, unknown>): string | undefined {
  const a = contact[ACCOUNT_FIELD] as { id?: unknown } | null | undefined;
  return a && typeof a === 'object' && typeof a.id === 'string' ? a.id : undefined;
}

/** A CRM contact and a Books Individual customer (S2.1). */
export const contact: KindSpec = {
  kind: 'contact',
  entity: 'customer',
  crmModule: 'Contacts',
  booksModule: 'contacts',
  booksIdKey: 'contact_id',
  module: 'customers',
  labels: { plural: 'contacts', crm: 'CRM contact', books: 'Books Individual customer' },
  nameField: { crm: 'Last_Name', books: 'contact_name' },
  defaultFieldMaps: [
    { crmField: 'Last_Name', booksField: 'last_name', mandatory: true },
    { crmField: 'First_Name', booksField: 'first_name' },
    { crmField: 'Email', booksField: 'email' },
    { crmField: 'Phone', booksField: 'phone' },
    { crmField: 'Mobile', booksField: 'mobile' },
    { crmField: 'Currency', booksField: 'currency_code', owner: 'crm' },
    ...addressMaps('Mailing', 'billing_address', 'Zip'),
    ...addressMaps('Other', 'shipping_address', 'Zip'),
  ],
  booksFields: contactBooksFields(),
  viewOf: (config) => ({ viewId: config.customers.contactViewId, path: 'customers.contactViewId' }),
  crmName: (d) =>
    crmContactFullName({
      First_Name: text(d.First_Name),
      Last_Name: text(d.Last_Name),
      Full_Name: text(d.Full_Name),
    }),
  booksName: (d) => text(d.contact_name),
  booksInScope: contactsInScope('customer', 'individual'),
  newBooks: () => ({ contact_type: 'customer', customer_sub_type: 'individual', status: 'active' }),
  validateForBooks: (v, ctx) => required(v, 'Last_Name', 'the last name') ?? enabledCurrency(v, ctx),
  validateForCrm: (v, ctx) =>
    required(v, 'Last_Name', 'the last name (CRM contacts require it)') ?? enabledCurrency(v, ctx),
  writtenTogether: ['First_Name', 'Last_Name'],
  completeBooks: (d, written) =>
    !written.has('First_Name') && !written.has('Last_Name') && d.contact_name
      ? d
      : {
          ...d,
          contact_name:
            crmContactFullName({ First_Name: text(d.first_name), Last_Name: text(d.last_name) }) ||
            d.contact_name,
        },
  completeCrmValues: (v, d) => {
    if (v.Last_Name !== null && v.Last_Name !== undefined) return v;
    // A Books Individual may carry only a display name: its last word becomes the CRM last name.
    const words = text(d.contact_name).trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return v;
    return {
      ...v,
      Last_Name: words[words.length - 1] ?? null,
      First_Name: v.First_Name ?? (words.slice(0, -1).join(' ') || null),
    };
  },
  firstDirection: 'crm_to_books',
};
