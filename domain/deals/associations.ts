import { z } from 'zod';
import { DocIdSchema, KeyPartSchema } from '../sync-state-schemas';
import type { CustomerModule } from './rules';

/*
 * Associating a CRM deal with a Books document (S4.3): which documents a deal may be associated with, which
 * associations may be undone, and how deals are offered for one. Pure: the operation reads the deal, its
 * customer link and the Books document, and this module decides on what was read.
 */

/** The Books documents a deal may be associated with (S4.3). */
export const ASSOCIATION_KINDS = ['estimate', 'salesorder', 'invoice', 'expense'] as const;
export type AssociationKind = (typeof ASSOCIATION_KINDS)[number];
export const AssociationKindSchema = z.enum(ASSOCIATION_KINDS);

/** Who made an association: a user through the operations, or a deal trigger (S5), which cannot be undone. */
export type AssociationMaker = 'user' | 'trigger';

/** A manual association as stored: one per deal and document, whoever asks twice. */
export const DealAssociationDocSchema = z.object({
  /** associationKey(): associating twice meets the first one on the duplicate key. */
  _id: DocIdSchema,
  integrationId: DocIdSchema,
  crmOrgId: KeyPartSchema,
  dealId: KeyPartSchema,
  kind: AssociationKindSchema,
  booksId: KeyPartSchema,
  /** The document's number and customer when associated, so a listing needs no Books read. */
  number: z.string().min(1).max(200),
  customerId: KeyPartSchema,
  createdTime: z.date(),
});
export type DealAssociationDoc = z.output<typeof DealAssociationDocSchema>;

/** `{crmOrg}|{deal}|{kind}|{booksId}`: one manual association of a deal with one document. */
export function associationKey(crmOrgId: string, dealId: string, kind: string, booksId: string): string {
  return [crmOrgId, dealId, AssociationKindSchema.parse(kind), booksId]
    .map((p) => KeyPartSchema.parse(p))
    .join('|');
}

/** A deal as the rule needs it: its id, whether it is deleted, and the CRM ids of its account and contact. */
export interface DealParties {
  id: string;
  deleted: boolean;
  accountId: string | null;
  contactId: string | null;
}

/** The CRM record a deal's Books customer comes from under the customer module (S2.1, S5.1), if it has one. */
export function customerPartyOf(module: CustomerModule, deal: DealParties): string | null {
  return module === 'contacts' ? deal.contactId : deal.accountId;
}

/** What an association decision reads. */
export interface AssociationFacts {
  /** The deal, or null when the CRM store has none with that id. */
  deal: DealParties | null;
  customerModule: CustomerModule;
  /** The Books customer linked to the deal's account (or contact); null when not linked. */
  dealCustomerId: string | null;
  kind: string;
  /** The Books document, or null when Books has none (or it is deleted). */
  document: { customerId: string | null } | null;
}

/** A refusal: the field at fault and why; `not_found` when something named does not exist. */
export interface AssociationRefusal {
  ok: false;
  refusal: 'invalid' | 'not_found' | 'conflict';
  field: string;
  reason: string;
}

export type AssociationDecision = { ok: true } | AssociationRefusal;

const refuse = (
  refusal: AssociationRefusal['refusal'],
  field: string,
  reason: string,
): AssociationRefusal => ({
  ok: false,
  refusal,
  field,
  reason,
});

/** Whether `kind` is one the association reads; the refusal otherwise. */
export function checkKind(kind: string): AssociationDecision {
  return AssociationKindSchema.safeParse(kind).success
    ? { ok: true }
    : refuse('invalid', 'kind', `unknown document kind "${kind}": one of ${ASSOCIATION_KINDS.join(', ')}`);
}

/**
 * Accepts an association of a deal with a Books document only when both exist, the deal is live, and the
 * document's customer is the deal's customer (S4.3); otherwise the first fault, with its field and reason.
 */
export function decideAssociation(facts: AssociationFacts): AssociationDecision {
  const kind = checkKind(facts.kind);
  if (!kind.ok) return kind;
  const { deal, document } = facts;
  if (!deal) return refuse('not_found', 'dealId', 'no such CRM deal');
  if (deal.deleted) return refuse('invalid', 'dealId', 'the deal is deleted');
  if (!document) return refuse('not_found', 'booksId', `no such Books ${facts.kind}`);
  const party = customerPartyOf(facts.customerModule, deal);
  const partyField = facts.customerModule === 'contacts' ? 'Contact_Name' : 'Account_Name';
  if (!party) return refuse('invalid', partyField, `the deal has no ${partyLabel(facts.customerModule)}`);
  if (!facts.dealCustomerId)
    return refuse(
      'invalid',
      partyField,
      `the deal's ${partyLabel(facts.customerModule)} ${party} is not linked to a Books customer`,
    );
  if (document.customerId === null)
    return refuse('invalid', 'booksId', `the ${facts.kind} is not billed to a customer`);
  if (document.customerId !== facts.dealCustomerId)
    return refuse(
      'invalid',
      'booksId',
      `the ${facts.kind} belongs to another customer (${document.customerId ?? 'none'}), not the deal's (${facts.dealCustomerId})`,
    );
  return { ok: true };
}

/** Refuses undoing an association a deal trigger made (S4.3): the trigger's document stays the deal's. */
export function decideDissociation(madeBy: AssociationMaker | null): AssociationDecision {
  return madeBy === 'trigger'
    ? refuse(
        'conflict',
        'booksId',
        'the association was made by a deal trigger (S5) and cannot be dissociated',
      )
    : { ok: true };
}

const partyLabel = (module: CustomerModule) => (module === 'contacts' ? 'contact' : 'account');

/** A deal offered for an association: what a listing shows. */
export interface OfferedDeal {
  dealId: string;
  name: string;
  deleted: boolean;
}

/** A listing of deals: by name, deleted deals last (S4.3). */
export function listingOrder<T extends OfferedDeal>(deals: readonly T[]): T[] {
  return [...deals].sort(
    (a, b) =>
      Number(a.deleted) - Number(b.deleted) || a.name.localeCompare(b.name) || compare(a.dealId, b.dealId),
  );
}

/** The deals a search offers: deleted deals are never offered (S4.3), the rest as listed. */
export function searchOffer<T extends OfferedDeal>(deals: readonly T[], limit: number): T[] {
  return listingOrder(deals.filter((d) => !d.deleted)).slice(0, limit);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
