import type { FieldOwner, FieldValues, JsonValue } from './field-maps';
import { stableStringify } from '../hash';

/**
 * Two-way conflict rules (S9.5), decided three-way per field: against the values both sides held after the
 * last sync (stored on the link), a field changed on one side only flows to the other; a field changed on both
 * sides to different values goes to its owner — the CRM, Books, or the side changed most recently.
 */

export interface ReconcileInput {
  /** Mapped fields in the CRM representation, with their owner rule. */
  fields: readonly { field: string; owner: FieldOwner }[];
  crm: FieldValues;
  books: FieldValues;
  /**
   * What each side held after the last sync (CRM representation); null for a pair never synced, where
   * `initialWinner` takes every differing field.
   */
  base: { crm: FieldValues; books: FieldValues } | null;
  initialWinner: 'crm' | 'books';
  /** ISO modified times, for `latest`. */
  crmModified: string | null;
  booksModified: string | null;
}

export interface FieldConflict {
  field: string;
  crm: JsonValue;
  books: JsonValue;
  winner: 'crm' | 'books';
  rule: FieldOwner;
}

export interface Reconciliation {
  /** Fields whose CRM value must be written to Books. */
  toBooks: string[];
  /** Fields whose Books value must be written to the CRM. */
  toCrm: string[];
  conflicts: FieldConflict[];
}

const same = (a: JsonValue | undefined, b: JsonValue | undefined) =>
  stableStringify(a) === stableStringify(b);

/** Pure; every field lands in at most one of toBooks / toCrm. */
export function reconcile(input: ReconcileInput): Reconciliation {
  const out: Reconciliation = { toBooks: [], toCrm: [], conflicts: [] };
  for (const { field, owner } of input.fields) {
    const c = input.crm[field] ?? null;
    const b = input.books[field] ?? null;
    if (same(c, b)) continue;
    if (!input.base) {
      (input.initialWinner === 'crm' ? out.toBooks : out.toCrm).push(field);
      continue;
    }
    const crmChanged = !same(c, input.base.crm[field] ?? null);
    const booksChanged = !same(b, input.base.books[field] ?? null);
    if (crmChanged && !booksChanged) out.toBooks.push(field);
    else if (booksChanged && !crmChanged) out.toCrm.push(field);
    else if (!crmChanged && !booksChanged) {
      // Both still as last synced: nothing new on either side to move.
      continue;
    } else {
      const winner = decideOwner(owner, input.crmModified, input.booksModified);
      out.conflicts.push({ field, crm: c, books: b, winner, rule: owner });
      (winner === 'crm' ? out.toBooks : out.toCrm).push(field);
    }
  }
  return out;
}

function decideOwner(
  owner: FieldOwner,
  crmModified: string | null,
  booksModified: string | null,
): 'crm' | 'books' {
  if (owner !== 'latest') return owner;
  const c = crmModified ? Date.parse(crmModified) : NaN;
  const b = booksModified ? Date.parse(booksModified) : NaN;
  if (Number.isNaN(b)) return 'crm';
  if (Number.isNaN(c)) return 'books';
  // A tie goes to the CRM, the system of record for master data.
  return b > c ? 'books' : 'crm';
}
