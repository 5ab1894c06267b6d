import type { DocumentSpec } from './spec';

/** A CRM quote and a Books estimate: valid until its expiry date. */
export const estimate: DocumentSpec = {
  kind: 'estimate',
  crmModule: 'Quotes',
  booksModule: 'estimates',
  booksIdKey: 'estimate_id',
  booksNumberKey: 'estimate_number',
  party: 'customer',
  partyField: 'Account_Name',
  linesField: 'Quoted_Items',
  numberField: 'Quote_Number',
  dateMaps: [{ crm: 'Valid_Till', books: 'expiry_date' }],
  label: 'quote',
};
