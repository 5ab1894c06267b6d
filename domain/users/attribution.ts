import { z } from 'zod';
import type { FinanceModule } from './permissions';

/*
 * Who a finance document is attributed to (S6.3, issue 18 item 4): a document written from the CRM runs as the
 * acting CRM user, so its CRM record's Created_By / Modified_By name them, and the Books document made from it
 * names them as created-by / last-modified-by — never the admin who set the integration up. Pure.
 */

/** The CRM finance modules and the finance module each is in Books. */
export const FINANCE_MODULE_OF_CRM: Readonly<Record<string, FinanceModule>> = {
  Quotes: 'estimates',
  Sales_Orders: 'salesorders',
  Invoices: 'invoices',
  Purchase_Orders: 'purchaseorders',
};

/** The acting user as the CRM record's user fields carry them, with their Books user id beside. */
export interface ActingRef {
  id: string;
  name: string;
  email: string;
  /** The Books user the CRM user acts as: their integration user, or their own Books user. */
  books_user_id?: string | undefined;
}

const RefSchema = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  books_user_id: z.string().optional(),
});
const AttributedSchema = z.looseObject({
  Created_By: RefSchema.nullish().catch(undefined),
  Modified_By: RefSchema.nullish().catch(undefined),
});

/** The acting CRM user's id named by a record written from the CRM: who modified it, else who created it. */
export function actorIdOf(record: Record<string, unknown>): string | undefined {
  const parsed = AttributedSchema.parse(record);
  return parsed.Modified_By?.id ?? parsed.Created_By?.id;
}

/**
 * The record as written by `actor`: it modified it now, and created it unless it existed (then its creator
 * stays the stored one).
 */
export function attributed(
  record: Record<string, unknown>,
  actor: ActingRef,
  stored: Record<string, unknown> | undefined,
): Record<string, unknown> {
  const creator = stored === undefined ? actor : (stored.Created_By ?? actor);
  return { ...record, Created_By: creator, Modified_By: actor };
}

/** A Books document's created-by / last-modified-by from its CRM record's user fields (those it names). */
export function booksAttributionOf(crm: Record<string, unknown>): Record<string, string> {
  const { Created_By: created, Modified_By: modified } = AttributedSchema.parse(crm);
  const out: Record<string, string> = {};
  if (created?.books_user_id) out.created_by_id = created.books_user_id;
  if (created?.name) out.created_by_name = created.name;
  if (modified?.books_user_id) out.last_modified_by_id = modified.books_user_id;
  if (modified?.name) out.last_modified_by_name = modified.name;
  return out;
}
