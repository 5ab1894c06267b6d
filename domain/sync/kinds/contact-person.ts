import { contact } from './contact';
import type { KindSpec } from './spec';

/**
 * Under "Accounts and their Contacts" (S2.1), a CRM contact of a synced account and a contact person inside
 * the account's Business customer. It reads CRM contacts as the contact kind does (names, scope, view), but
 * has its own link entity, maps and name field; its prerequisite is its account's customer
 * (sync/step-rules.ts), and its Books records live inside the account's.
 */
export const contactPerson: KindSpec = {
  ...contact,
  kind: 'contact_person',
  entity: 'contact_person',
  embeddedIn: 'account',
  labels: { plural: 'contact persons', crm: 'CRM contact', books: 'Books contact person' },
  nameField: { crm: 'Last_Name', books: 'last_name' },
  defaultFieldMaps: [
    { crmField: 'Last_Name', booksField: 'last_name', mandatory: true },
    { crmField: 'First_Name', booksField: 'first_name' },
    { crmField: 'Salutation', booksField: 'salutation' },
    { crmField: 'Email', booksField: 'email' },
    { crmField: 'Phone', booksField: 'phone' },
    { crmField: 'Mobile', booksField: 'mobile' },
    { crmField: 'Title', booksField: 'designation' },
    { crmField: 'Department', booksField: 'department' },
  ],
  booksFields: [
    'salutation',
    'first_name',
    'last_name',
    'email',
    'phone',
    'mobile',
    'designation',
    'department',
  ],
};
