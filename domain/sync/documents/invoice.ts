import type { DocumentSpec } from './spec';

/** A CRM invoice and a Books invoice: dated, due, and paid in Books (its balance comes back, S9.3). */
export const invoice: DocumentSpec = {
  kind: 'invoice',
  crmModule: 'Invoices',
  booksModule: 'invoices',
  booksIdKey: 'invoice_id',
  booksNumberKey: 'invoice_number',
  party: 'customer',
  partyField: 'Account_Name',
  linesField: 'Invoiced_Items',
  numberField: 'Invoice_Number',
  dateField: 'Invoice_Date',
  dateMaps: [{ crm: 'Due_Date', books: 'due_date' }],
  label: 'invoice',
};
