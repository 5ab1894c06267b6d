import type { DocumentSpec } from './spec';

/** A CRM purchase order and a Books purchase order: with a vendor, not a customer. */
export const purchaseorder: DocumentSpec = {
  kind: 'purchaseorder',
  crmModule: 'Purchase_Orders',
  booksModule: 'purchaseorders',
  booksIdKey: 'purchaseorder_id',
  booksNumberKey: 'purchaseorder_number',
  party: 'vendor',
  partyField: 'Vendor_Name',
  linesField: 'Purchase_Items',
  numberField: 'PO_Number',
  dateField: 'PO_Date',
  dateMaps: [{ crm: 'Due_Date', books: 'delivery_date' }],
  label: 'purchase order',
};
