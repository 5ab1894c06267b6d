import type { FieldValues } from '../field-maps';
import { required, text, type FieldIssue, type KindSpec } from './spec';

/** Books items need a rate: the CRM unit price it comes from, or goes to. */
function itemRate(values: FieldValues): FieldIssue | undefined {
  const rate = values.Unit_Price;
  if (rate === null || rate === undefined)
    return { field: 'Unit_Price', reason: 'Books items need a rate: the unit price is empty' };
  if (typeof rate !== 'number' || rate < 0)
    return { field: 'Unit_Price', reason: 'the unit price must be a number ≥ 0' };
  return undefined;
}

/** A CRM product and a Books item (S2.7): the Books side is pushed first when both ways. */
export const item: KindSpec = {
  kind: 'item',
  entity: 'item',
  crmModule: 'Products',
  booksModule: 'items',
  booksIdKey: 'item_id',
  module: 'items',
  labels: { plural: 'items', crm: 'CRM product', books: 'Books item' },
  nameField: { crm: 'Product_Name', books: 'name' },
  defaultFieldMaps: [
    { crmField: 'Product_Name', booksField: 'name', mandatory: true },
    { crmField: 'Product_Code', booksField: 'sku' },
    { crmField: 'Unit_Price', booksField: 'rate' },
    { crmField: 'Description', booksField: 'description' },
    { crmField: 'Product_Active', booksField: 'status' },
    { crmField: 'Taxable', booksField: 'is_taxable' },
  ],
  booksFields: [
    'name',
    'sku',
    'rate',
    'description',
    'unit',
    'status',
    'product_type',
    'is_taxable',
    'purchase_rate',
    'purchase_description',
  ],
  viewOf: (config) => ({ viewId: config.items.viewId, path: 'items.viewId' }),
  crmName: (d) => text(d.Product_Name),
  booksName: (d) => text(d.name),
  booksInScope: () => true,
  newBooks: () => ({ status: 'active' }),
  validateForBooks: (v) => required(v, 'Product_Name', 'the product name (Books item name)') ?? itemRate(v),
  validateForCrm: (v) => required(v, 'Product_Name', 'the item name (CRM product name)') ?? itemRate(v),
  firstDirection: 'books_to_crm',
};
