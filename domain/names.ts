/**
 * Display names and their normal form, for duplicate detection (S2.3): two records are duplicates when their
 * normalised names are equal. Normalising folds Unicode compatibility forms, case and runs of white space, so
 * "ACME  Corp" and "Acme Corp" match; punctuation is kept ("Acme, Inc." differs from "Acme Inc").
 */
export function normalizeName(name: string | null | undefined): string {
  return (name ?? '').normalize('NFKC').toLocaleLowerCase('en-US').replace(/\s+/g, ' ').trim();
}

/** A CRM contact's full name as Zoho shows it: first name, then last name. */
export function crmContactFullName(contact: {
  First_Name?: string | null;
  Last_Name?: string | null;
  Full_Name?: string | null;
}): string {
  const composed = [contact.First_Name, contact.Last_Name]
    .map((p) => (p ?? '').trim())
    .filter(Boolean)
    .join(' ');
  return composed || (contact.Full_Name ?? '').trim();
}

/**
 * The longest normalised display name a store keeps: duplicate look-ups list names up to this length, so a
 * longer one is refused where records enter (import, API, the sync's own writes) with its field and reason.
 */
export const MAX_NAME_LENGTH = 1000;

/** The field holding each stored module's display name, named when a name is refused. */
export const NAME_FIELD_OF = {
  Accounts: 'Account_Name',
  Contacts: 'Last_Name',
  Vendors: 'Vendor_Name',
  Products: 'Product_Name',
  contacts: 'contact_name',
  items: 'name',
} as const;

/** The display name each stored module is matched on (S2.3), by store collection. */
export const DISPLAY_NAME_OF = {
  /** CRM Accounts: the account name. */
  Accounts: (r: Record<string, unknown>) => str(r.Account_Name),
  /** CRM Contacts: the full name (Individuals' display name in Books). */
  Contacts: (r: Record<string, unknown>) =>
    crmContactFullName({
      First_Name: strOrNull(r.First_Name),
      Last_Name: strOrNull(r.Last_Name),
      Full_Name: strOrNull(r.Full_Name),
    }),
  Vendors: (r: Record<string, unknown>) => str(r.Vendor_Name),
  Products: (r: Record<string, unknown>) => str(r.Product_Name),
  /** Books contacts (customers and vendors): the display name. */
  contacts: (r: Record<string, unknown>) => str(r.contact_name),
  items: (r: Record<string, unknown>) => str(r.name),
} as const;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
function strOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
