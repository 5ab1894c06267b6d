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
