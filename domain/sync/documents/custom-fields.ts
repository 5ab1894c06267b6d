import type { Data } from './spec';

/*
 * Custom fields of finance documents (S4.2). Books keeps a document's custom fields in a `custom_fields` list
 * of {customfield_id, api_name, label, value}; the CRM copy carries each as a field of its own, named by the
 * Books API name (`cf_delivery`), so the one name says which Books field a CRM field is, both ways, with no
 * map to configure. The customer sync maps custom fields by the user's field maps (sync/field-maps.ts); a
 * document has no field maps, hence this rule. Pure.
 */

/** A CRM field that stands for a Books custom field: Books' own API-name form. */
const CUSTOM_FIELD_NAME = /^cf_[a-z0-9_]{1,97}$/;

const isCustomFieldName = (name: string): boolean => CUSTOM_FIELD_NAME.test(name);

/**
 * The CRM field a Books custom field becomes: its API name, else one made from its label the way Books makes
 * API names (`Delivery Window` -> `cf_delivery_window`); undefined when neither gives a valid name.
 */
export function crmFieldOfCustomField(field: Data): string | undefined {
  if (typeof field.api_name === 'string' && isCustomFieldName(field.api_name)) return field.api_name;
  if (typeof field.label !== 'string') return undefined;
  const words = field.label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const name = `cf_${words}`;
  return isCustomFieldName(name) ? name : undefined;
}

/** The custom fields of a Books record, each with the CRM field it becomes. */
function namedCustomFields(books: Data): { name: string; field: Data }[] {
  const list = Array.isArray(books.custom_fields) ? (books.custom_fields as unknown[]) : [];
  return list.flatMap((field) => {
    if (field === null || typeof field !== 'object') return [];
    const name = crmFieldOfCustomField(field as Data);
    return name === undefined ? [] : [{ name, field: field as Data }];
  });
}

/** A Books document's custom fields as CRM fields (`{cf_delivery: 'Courier'}`); an empty one as null. */
export function customFieldsToCrm(books: Data): Data {
  return Object.fromEntries(namedCustomFields(books).map(({ name, field }) => [name, field.value ?? null]));
}

/**
 * The Books `custom_fields` of a document as a CRM document leaves them: each CRM field named like a custom
 * field (`cf_delivery`) sets the Books field of that API name; the Books document's other custom fields
 * (`existing`) are kept as they are. Undefined when neither side has any, so a document without custom
 * fields gets no empty list.
 */
export function customFieldsToBooks(crm: Data, existing?: Data): Data[] | undefined {
  const fromCrm = Object.entries(crm).filter(([name]) => isCustomFieldName(name));
  const kept = existing === undefined ? [] : namedCustomFields(existing);
  if (fromCrm.length === 0 && kept.length === 0) return undefined;
  const set = new Map(fromCrm);
  const merged = kept.map(({ name, field }) =>
    set.has(name) ? { ...field, value: set.get(name) ?? null } : field,
  );
  const added = fromCrm
    .filter(([name]) => !kept.some((k) => k.name === name))
    .map(([name, value]) => ({ api_name: name, value: value ?? null }));
  return [...merged, ...added];
}
