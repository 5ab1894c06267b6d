import { z } from 'zod';
import type { CrmDeal } from '../domain/crm-schemas';
import {
  AssociationKindSchema,
  associationKey,
  checkKind,
  customerPartyOf,
  decideAssociation,
  decideDissociation,
  listingOrder,
  searchOffer,
  type AssociationDecision,
  type AssociationKind,
  type AssociationMaker,
  type DealParties,
  type OfferedDeal,
} from '../domain/deals/associations';
import { livesInBooks, type DeltaCursor, type IntegrationDoc } from '../domain/sync-state-schemas';
import type { BooksStore } from '../stores/books-store';
import type { CrmStore } from '../stores/crm-store';
import type { DealStore } from '../stores/deal-store';
import type { StoredRecord } from '../stores/record-store';
import type { SyncStateStore } from '../stores/sync-state-store';
import type { DealOperations } from './deals';
import type { Route } from './http';
import { integrationPath, integrationRefOf } from './route-paths';
import {
  IdSchema,
  OperationError,
  operationGroup,
  parseRequest,
  requestedIntegration,
  type IntegrationRef,
} from './types';

/*
 * Associating CRM deals with Books documents (S4.3), as operations of the deals group: associate, dissociate,
 * a deal's associations (manual ones and those its triggers made), and the deals offered for a document —
 * those of its customer, deleted deals never offered and listed last. The rule is domain/deals/associations.ts;
 * this file reads what it decides on and writes what it accepts.
 */

export const AssociateInputSchema = z.strictObject({
  /** estimate, salesorder, invoice or expense; checked by the rule, which names a wrong one. */
  kind: z.string().min(1).max(40),
  booksId: IdSchema,
});
export type AssociateInput = z.input<typeof AssociateInputSchema>;

const SearchQuerySchema = z.strictObject({
  kind: z.string().min(1).max(40),
  booksId: IdSchema,
  name: z.string().min(1).max(200),
  limit: z.coerce.number().int().min(1).max(200).optional(),
});
export type DealSearchQuery = z.input<typeof SearchQuerySchema>;

export interface DealAssociationView {
  dealId: string;
  kind: AssociationKind;
  booksId: string;
  number: string;
  madeBy: AssociationMaker;
}

export interface AssociateResult extends DealAssociationView {
  /** False when the association was there already (associating is idempotent). */
  created: boolean;
}

export interface OfferedDealsView {
  customerId: string;
  deals: OfferedDeal[];
}

export interface DealAssociationOperations {
  associate(ref: IntegrationRef, dealId: string, input: AssociateInput): Promise<AssociateResult>;
  dissociate(
    ref: IntegrationRef,
    dealId: string,
    kind: string,
    booksId: string,
  ): Promise<{ removed: boolean }>;
  associations(
    ref: IntegrationRef,
    dealId: string,
  ): Promise<{ dealId: string; associations: DealAssociationView[] }>;
  searchDeals(ref: IntegrationRef, query: DealSearchQuery): Promise<OfferedDealsView>;
  customerDeals(ref: IntegrationRef, customerId: string): Promise<OfferedDealsView>;
}

export interface DealAssociationDeps {
  syncState: SyncStateStore;
  crm: CrmStore;
  dealStore: DealStore;
  books: Pick<BooksStore, 'module'>;
}

/** Most deals a name search reads before keeping the customer's: the search is for a person picking one. */
const SEARCH_READ = 1000;
/** Deals read per page when listing a customer's deals (deleted ones included, which no index serves). */
const LISTING_PAGE = 500;

/** What an association needs of a Books document: its customer (an expense may have none) and number. */
interface BooksDocumentFacts {
  customerId: string | null;
  number: string;
}

/** The live Books document of one record read, as facts; null when absent or deleted. */
function factsOf<T extends { customer_id?: string }>(
  found: readonly StoredRecord<T>[],
  numberOf: (data: T) => string,
): BooksDocumentFacts | null {
  const [doc] = found;
  return doc && !doc.deleted
    ? { customerId: doc.data.customer_id || null, number: numberOf(doc.data) }
    : null;
}

/** How each readable kind is read from the Books store: one point read of its module. */
const READERS: Record<
  AssociationKind,
  (books: DealAssociationDeps['books'], org: string, id: string) => Promise<BooksDocumentFacts | null>
> = {
  estimate: async (books, org, id) =>
    factsOf(await books.module('estimates').findByIds(org, [id]), (d) => d.estimate_number),
  salesorder: async (books, org, id) =>
    factsOf(await books.module('salesorders').findByIds(org, [id]), (d) => d.salesorder_number),
  invoice: async (books, org, id) =>
    factsOf(await books.module('invoices').findByIds(org, [id]), (d) => d.invoice_number),
  // An expense has no number of its own in Books: its reference, else its id.
  expense: async (books, org, id) =>
    factsOf(await books.module('expenses').findByIds(org, [id]), (d) => d.reference_number || d.expense_id),
};

/** Throws the refusal as the operation's error: its field and reason in the issues. */
function enforce(decision: AssociationDecision): void {
  if (decision.ok) return;
  const issue = `${decision.field}: ${decision.reason}`;
  throw new OperationError(decision.refusal, issue, [issue]);
}

/** A stored deal as the rule reads it. */
function partiesOf(record: StoredRecord<CrmDeal>): DealParties {
  return {
    id: record.id,
    deleted: record.deleted,
    accountId: record.data.Account_Name?.id ?? null,
    contactId: record.data.Contact_Name?.id ?? null,
  };
}

const offered = (record: StoredRecord<CrmDeal>): OfferedDeal => ({
  dealId: record.id,
  name: record.data.Deal_Name,
  deleted: record.deleted,
});

export function createDealAssociationOperations(deps: DealAssociationDeps): DealAssociationOperations {
  const deals = () => deps.crm.module('Deals');
  const integrationOf = (raw: IntegrationRef) => requestedIntegration(deps.syncState, raw);

  /** The Books customer a CRM account (or contact) is linked to; null when it is not (or no longer) linked. */
  async function customerOfParty(integration: IntegrationDoc, party: string | null): Promise<string | null> {
    if (!party) return null;
    const links = await deps.syncState.findLinksByCrmIds(integration._id, 'customer', [party]);
    return links.find(livesInBooks)?.booksId ?? null;
  }

  /** The CRM accounts (or contacts) linked to a Books customer: a deal of any of them is the customer's. */
  async function partiesOfCustomer(integration: IntegrationDoc, customerId: string): Promise<Set<string>> {
    const links = await deps.syncState.findLinksByBooksIds(integration._id, 'customer', [customerId]);
    return new Set(links.filter(livesInBooks).map((l) => l.crmId));
  }

  /** The Books document named, after its kind is checked: refused for a kind that cannot be read. */
  async function documentOf(integration: IntegrationDoc, kind: string, booksId: string) {
    enforce(checkKind(kind));
    const read = READERS[kind as keyof typeof READERS];
    return read(deps.books, integration.booksOrgId, booksId);
  }

  /** The associations a deal's triggers made: the documents written under its business keys (S5.7). */
  async function triggerMade(integration: IntegrationDoc, dealId: string): Promise<DealAssociationView[]> {
    const documents = await deps.dealStore.documentsOfDeal(integration.crmOrgId, dealId);
    return documents
      .filter((d) => d.written)
      .map((d) => ({ dealId, kind: d.kind, booksId: d.booksId, number: d.number, madeBy: 'trigger' }));
  }

  return {
    /** Associates a live deal with a document of its customer; refused with field and reason. Idempotent. */
    async associate(raw, dealId, body) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, dealId, 'deal id');
      const input = parseRequest(AssociateInputSchema, body, 'association');
      const [document, [record]] = await Promise.all([
        documentOf(integration, input.kind, input.booksId),
        deals().findByIds(integration.crmOrgId, [id]),
      ]);
      const deal = record ? partiesOf(record) : null;
      const customerModule = integration.config.customers.module;
      const dealCustomerId =
        deal && (await customerOfParty(integration, customerPartyOf(customerModule, deal)));
      enforce(decideAssociation({ deal, customerModule, dealCustomerId, kind: input.kind, document }));
      const kind = AssociationKindSchema.parse(input.kind);
      const made = (await triggerMade(integration, id)).find(
        (a) => a.kind === kind && a.booksId === input.booksId,
      );
      if (made) return { ...made, created: false };
      const { association, created } = await deps.dealStore.associate({
        _id: associationKey(integration.crmOrgId, id, kind, input.booksId),
        integrationId: integration._id,
        crmOrgId: integration.crmOrgId,
        dealId: id,
        kind,
        booksId: input.booksId,
        number: document!.number,
        // Accepted: the document's customer is the deal's.
        customerId: document!.customerId!,
      });
      return {
        dealId: id,
        kind,
        booksId: input.booksId,
        number: association.number,
        madeBy: 'user',
        created,
      };
    },

    /** Removes a manual association; refused for one a trigger made. Idempotent (none there: removed false). */
    async dissociate(raw, dealId, rawKind, booksId) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, dealId, 'deal id');
      const kind = parseRequest(AssociationKindSchema, rawKind, 'kind');
      const documentId = parseRequest(IdSchema, booksId, 'Books id');
      const made = (await triggerMade(integration, id)).some(
        (a) => a.kind === kind && a.booksId === documentId,
      );
      enforce(decideDissociation(made ? 'trigger' : null));
      return deps.dealStore.dissociate(associationKey(integration.crmOrgId, id, kind, documentId));
    },

    /** A deal's associations: those its triggers made, then the manual ones. Read-only. */
    async associations(raw, dealId) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, dealId, 'deal id');
      const [made, manual] = await Promise.all([
        triggerMade(integration, id),
        deps.dealStore.associationsOfDeal(integration.crmOrgId, id),
      ]);
      const user = manual.map((a): DealAssociationView => ({
        dealId: id,
        kind: a.kind,
        booksId: a.booksId,
        number: a.number,
        madeBy: 'user',
      }));
      return { dealId: id, associations: [...made, ...user] };
    },

    /** The live deals of a document's customer whose name contains `name` (S4.3: deleted never offered). */
    async searchDeals(raw, query) {
      const integration = await integrationOf(raw);
      const { kind, booksId, name, limit = 20 } = parseRequest(SearchQuerySchema, query, 'search');
      const document = await documentOf(integration, kind, booksId);
      if (!document)
        throw new OperationError('not_found', `booksId: no such Books ${kind}`, [
          `booksId: no such Books ${kind}`,
        ]);
      const { customerId } = document;
      if (customerId === null) {
        const issue = `booksId: the ${kind} is not billed to a customer, so no deal is its customer's`;
        throw new OperationError('invalid', issue, [issue]);
      }
      const parties = await partiesOfCustomer(integration, customerId);
      const module = integration.config.customers.module;
      const found = await deals().searchByName(integration.crmOrgId, name, SEARCH_READ);
      const theirs = found.filter((r) => parties.has(customerPartyOf(module, partiesOf(r)) ?? ''));
      return { customerId, deals: searchOffer(theirs.map(offered), limit) };
    },

    /**
     * Every deal of a Books customer, deleted deals last (S4.3). Pages through the org's deals: no index
     * serves deals by account with the deleted ones included, so this is an operator's listing, not a hot path.
     */
    async customerDeals(raw, customerId) {
      const integration = await integrationOf(raw);
      const id = parseRequest(IdSchema, customerId, 'customer id');
      const parties = await partiesOfCustomer(integration, id);
      const module = integration.config.customers.module;
      const theirs: OfferedDeal[] = [];
      let cursor: DeltaCursor | null = null;
      while (parties.size > 0) {
        const page = await deals().findChangedSince(integration.crmOrgId, cursor, LISTING_PAGE);
        for (const r of page.records)
          if (parties.has(customerPartyOf(module, partiesOf(r)) ?? '')) theirs.push(offered(r));
        if (!page.next) break;
        cursor = page.next;
      }
      return { customerId: id, deals: listingOrder(theirs) };
    },
  };
}

/** The association routes; before DEAL_ROUTES in the table, so `deals/search` is not read as a deal id. */
export const DEAL_ASSOCIATION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: integrationPath('deals', 'search'),
    body: 'none',
    query: ['kind', 'booksId', 'name', 'limit'],
    handle: (ops, { params, query }) =>
      groupOf(ops).searchDeals(integrationRefOf(params), query as DealSearchQuery),
  },
  {
    method: 'GET',
    path: integrationPath('deals', 'by-customer', ':customerId'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => groupOf(ops).customerDeals(integrationRefOf(params), params.customerId!),
  },
  {
    method: 'GET',
    path: integrationPath('deals', ':dealId', 'associations'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => groupOf(ops).associations(integrationRefOf(params), params.dealId!),
  },
  {
    method: 'POST',
    path: integrationPath('deals', ':dealId', 'associations'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) =>
      groupOf(ops).associate(integrationRefOf(params), params.dealId!, body as AssociateInput),
  },
  {
    method: 'DELETE',
    path: integrationPath('deals', ':dealId', 'associations', ':kind', ':booksId'),
    body: 'none',
    query: [],
    handle: (ops, { params }) =>
      groupOf(ops).dissociate(integrationRefOf(params), params.dealId!, params.kind!, params.booksId!),
  },
];

/** The deals group, which these operations are part of; unavailable where the composition root left it out. */
const groupOf = (ops: { deals?: DealOperations | undefined }): DealAssociationOperations =>
  operationGroup(ops, 'deals', 'deal');
