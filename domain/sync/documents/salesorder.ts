import type { DocumentSpec } from './spec';

/** A CRM sales order and a Books sales order: its due date is the Books shipment date. */
export const salesorder: DocumentSpec = {
  kind: 'salesorder',
  crmModule: 'Sales_Orders',
  booksModule: 'salesorders',
  booksIdKey: 'salesorder_id',
  booksNumberKey: 'salesorder_number',
  party: 'customer',
  partyField: 'Account_Name',
  linesField: 'Ordered_Items',
  numberField: 'SO_Number',
  dateMaps: [{ crm: 'Due_Date', books: 'shipment_date' }],
  label: 'sales order',
};
