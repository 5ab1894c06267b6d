import { ApplicationFailure } from '@temporalio/activity';
import type { CrmDeal, CrmPipeline } from '../domain/crm-schemas';
import { ErrorType } from '../domain/errors';
import { toBooksDealDocument, type CustomerRecord } from '../domain/deals/mapping';
import {
  dealDocumentKey,
  dealDocumentNumber,
  type DealDecisionInput,
  type DealDocumentLinkDoc,
} from '../domain/deals/records';
import {
  stageProbability,
  type DealAction,
  type DealDocumentFact,
  type DealDocumentKind,
  type DealFacts,
  type DealRule,
} from '../domain/deals/rules';
import { documentSpecOf } from '../domain/sync/documents';
import { createdRecordId, kindSpecOf } from '../domain/sync/kinds';
import { kindOfCrmModule, type StepTarget } from '../domain/sync/plan';
import { failureIdOf, livesInBooks, type IntegrationDoc } from '../domain/sync-state-schemas';
import type { BooksStore } from '../stores/books-store';
import type { CrmStore } from '../stores/crm-store';
import type { DealStore } from '../stores/deal-store';
import type { RecordCollection, StoredRecord } from '../stores/record-store';
import type { SyncStateStore } from '../stores/sync-state-store';
import { pollDealChanges, type PollDealChangesInput } from './deals-poll';
import type { DocumentDeps } from './documents';

/*
 * The deal workflow's activities (issue 17): load what a decision reads, act on Books, record the decision.
 * The decision itself is domain/deals/rules.ts, taken in the workflow; the customer is brought to Books by
 * the document workflow's targeted sync run (S9.2), never by a copy of the sync's rules.
 */

type Data = Record<string, unknown>;

export interface DealDeps {
  syncState: SyncStateStore;
  dealStore: DealStore;
  crmStore: CrmStore;
  booksStore: BooksStore;
  financeBooks: DocumentDeps['financeBooks'];
  now?: () => Date;
}

export interface DealRef {
  integrationId: string;
  dealId: string;
}

/** The documents of each rule, by rule id. */
export type RuleDocuments = Record<string, { quote?: DealDocumentFact; invoice?: DealDocumentFact }>;

export type LoadDealFactsResult =
  | { ok: false; reason: string }
  | {
      ok: true;
      crmOrgId: string;
      /** The version of the deal read: kept in the decision record (DecisionInputs.modifiedTime). */
      dealModifiedTime?: string;
      deal: DealFacts;
      rules: DealRule[];
      documents: RuleDocuments;
      /** What a dependency run must sync before a document can be created: the deal's customer. */
      customerTargets: StepTarget[];
    };

export interface ApplyDealActionInput extends DealRef {
  ruleId: string;
  action: Exclude<DealAction, 'none'>;
}

export type ApplyDealActionResult =
  | { ok: true; document: DealDocumentFact & { kind: DealDocumentKind }; created: boolean }
  | { ok: false; reason: string };

const MODULE_OF = { estimate: 'estimates', invoice: 'invoices' } as const;
const DOCUMENT_KINDS: readonly DealDocumentKind[] = ['estimate', 'invoice'];

const KIND_OF_ACTION: Record<ApplyDealActionInput['action'], DealDocumentKind> = {
  create_quote: 'estimate',
  approve_quote: 'estimate',
  decline_quote: 'estimate',
  create_invoice: 'invoice',
  void_invoice: 'invoice',
};
/** The status change of each action on an existing draft. */
const STATUS_OF: Partial<Record<ApplyDealActionInput['action'], string>> = {
  approve_quote: 'accepted',
  decline_quote: 'declined',
  void_invoice: 'void',
};

export function createDealActivities(deps: DealDeps) {
  return {
    /** What the rules decide on for one deal. Read-only; a deal that cannot be decided on says why. */
    loadDealFacts: (input: DealRef) => loadDealFacts(deps, input),
    /**
     * Carries out one fired decision on Books. Idempotent: a create claims the deal's business key first and
     * writes the Books document under the id derived from it only if absent, so a retry, a second worker or
     * a crash between the two writes ends with one document; a status change applies only to a draft.
     */
    applyDealAction: (input: ApplyDealActionInput) => applyDealAction(deps, input),
    /** Writes the decision record. Idempotent on its `_id`. */
    recordDealDecision: (input: DealDecisionInput) => deps.dealStore.recordDecision(input),
    /** See deals-poll.ts. Idempotent: a deal signalled twice is decided twice, the second firing nothing. */
    pollDealChanges: (input: PollDealChangesInput) => pollDealChanges(deps, input),
  };
}

async function integrationOf(deps: DealDeps, integrationId: string): Promise<IntegrationDoc> {
  const integration = await deps.syncState.getIntegration(integrationId);
  if (!integration)
    throw ApplicationFailure.nonRetryable(`no integration ${integrationId}`, ErrorType.NotFound);
  return integration;
}

async function storedDealOf(
  deps: DealDeps,
  org: string,
  dealId: string,
): Promise<StoredRecord<CrmDeal> | undefined> {
  const [deal] = await deps.crmStore.module('Deals').findByIds(org, [dealId]);
  return deal && !deal.deleted ? deal : undefined;
}

async function dealOf(deps: DealDeps, org: string, dealId: string): Promise<CrmDeal | undefined> {
  return (await storedDealOf(deps, org, dealId))?.data;
}

/** The deal's pipeline: the one it names (by id or name), else the org's default, else its first. */
function pipelineOf(
  pipelines: readonly CrmPipeline[],
  name: string | null | undefined,
): CrmPipeline | undefined {
  return (
    pipelines.find((p) => p.id === name || p.display_value === name || p.actual_value === name) ??
    pipelines.find((p) => p.default === true) ??
    pipelines[0]
  );
}

/** The CRM record the deal's customer comes from under the customer module (S5.1), if associated. */
function partyOf(
  integration: IntegrationDoc,
  deal: CrmDeal,
): { module: 'Accounts' | 'Contacts'; id: string } | undefined {
  const module = integration.config.customers.module;
  if (module === 'contacts')
    return deal.Contact_Name ? { module: 'Contacts', id: deal.Contact_Name.id } : undefined;
  return deal.Account_Name ? { module: 'Accounts', id: deal.Account_Name.id } : undefined;
}

/** The Books customer of the party, or what its sync recorded as the reason it is not there. */
async function customerOf(
  deps: DealDeps,
  integration: IntegrationDoc,
  party: { module: 'Accounts' | 'Contacts'; id: string },
): Promise<{ booksId: string | null; problem?: string; target?: StepTarget }> {
  const [link] = (await deps.syncState.findLinksByCrmIds(integration._id, 'customer', [party.id])).filter(
    livesInBooks,
  );
  if (link) return { booksId: link.booksId };
  const kind = kindOfCrmModule(integration.config, party.module);
  if (kind === null) return { booksId: null, problem: `the integration does not sync ${party.module}` };
  const [failure] = await deps.syncState.getFailures([
    failureIdOf(integration._id, kindSpecOf(kind).module, 'crm_to_books', party.id),
  ]);
  return {
    booksId: null,
    ...(failure?.status === 'open' && {
      problem: `CRM ${party.module} record ${party.id} could not be synced: ${failure.field}: ${failure.reason}`,
    }),
    target: { kind, direction: 'crm_to_books', ids: [party.id] },
  };
}

async function loadDealFacts(deps: DealDeps, ref: DealRef): Promise<LoadDealFactsResult> {
  const integration = await integrationOf(deps, ref.integrationId);
  if (integration.status !== 'active')
    return { ok: false, reason: `the integration is ${integration.status}` };
  const org = integration.crmOrgId;
  const [stored, rules, pipelines, organization] = await Promise.all([
    storedDealOf(deps, org, ref.dealId),
    deps.dealStore.getRules(integration._id),
    deps.crmStore.listPipelines(org),
    deps.booksStore.getOrganization(integration.booksOrgId),
  ]);
  if (!stored) return { ok: false, reason: `the CRM deal ${ref.dealId} does not exist or was deleted` };
  const deal = stored.data;
  if (rules.length === 0) return { ok: false, reason: 'the integration has no deal rules' };
  const party = partyOf(integration, deal);
  const customer = party ? await customerOf(deps, integration, party) : { booksId: null };
  const maps = pipelineOf(pipelines, deal.Pipeline)?.maps ?? [];
  return {
    ok: true,
    crmOrgId: org,
    dealModifiedTime: stored.modifiedTime.toISOString(),
    deal: {
      dealId: ref.dealId,
      dealName: deal.Deal_Name,
      stage: deal.Stage,
      probability: stageProbability(maps, deal.Stage),
      amount: deal.Amount ?? null,
      accountId: deal.Account_Name?.id ?? null,
      contactId: deal.Contact_Name?.id ?? null,
      customerModule: integration.config.customers.module,
      customer: {
        booksId: customer.booksId,
        ...('problem' in customer && customer.problem && { problem: customer.problem }),
      },
      quoteToInvoice: organization?.is_quote_to_invoice_enabled === true,
    },
    rules,
    documents: await ruleDocuments(
      deps,
      integration,
      ref.dealId,
      rules.map((r) => r.id),
    ),
    customerTargets: 'target' in customer && customer.target ? [customer.target] : [],
  };
}

/** The Books documents each rule made for the deal, as Books holds them; a claim with no document is none. */
async function ruleDocuments(
  deps: DealDeps,
  integration: IntegrationDoc,
  dealId: string,
  ruleIds: readonly string[],
): Promise<RuleDocuments> {
  const keys = ruleIds.flatMap((ruleId) =>
    DOCUMENT_KINDS.map((kind) => dealDocumentKey(integration.crmOrgId, dealId, ruleId, kind)),
  );
  const links = await deps.dealStore.documentsByKeys(keys);
  const books = await Promise.all(links.map((link) => booksDocumentOf(deps, integration, link)));
  const out: RuleDocuments = {};
  for (const [i, link] of links.entries()) {
    const doc = books[i];
    if (!doc) continue;
    const fact = { booksId: link.booksId, number: link.number, status: String(doc.data.status) };
    out[link.ruleId] = { ...out[link.ruleId], [link.kind === 'estimate' ? 'quote' : 'invoice']: fact };
  }
  return out;
}

/** One business key of the deal and the Books document under it, each undefined when absent. */
async function ruleDocument(
  deps: DealDeps,
  integration: IntegrationDoc,
  dealId: string,
  key: string,
): Promise<{ link?: DealDocumentLinkDoc | undefined; books?: StoredRecord<Data> | undefined }> {
  const [link] = await deps.dealStore.documentsByKeys([key]);
  return { link, books: link && (await booksDocumentOf(deps, integration, link)) };
}

function booksCollection(deps: DealDeps, kind: DealDocumentKind): RecordCollection<Data> {
  return deps.financeBooks.records(MODULE_OF[kind]);
}

async function booksDocumentOf(
  deps: DealDeps,
  integration: IntegrationDoc,
  link: Pick<DealDocumentLinkDoc, 'kind' | 'booksId'>,
): Promise<StoredRecord<Data> | undefined> {
  const [doc] = await booksCollection(deps, link.kind).findByIds(integration.booksOrgId, [link.booksId]);
  return doc && !doc.deleted ? doc : undefined;
}

async function applyDealAction(deps: DealDeps, input: ApplyDealActionInput): Promise<ApplyDealActionResult> {
  const integration = await integrationOf(deps, input.integrationId);
  const kind = KIND_OF_ACTION[input.action];
  const key = dealDocumentKey(integration.crmOrgId, input.dealId, input.ruleId, kind);
  const status = STATUS_OF[input.action];
  if (status !== undefined) return changeStatus(deps, integration, input, kind, key, status);
  return createDocument(deps, integration, input, kind, key);
}

/** Moves the rule's draft document to `status`; refused (nothing written) once it is past draft. */
async function changeStatus(
  deps: DealDeps,
  integration: IntegrationDoc,
  input: ApplyDealActionInput,
  kind: DealDocumentKind,
  key: string,
  status: string,
): Promise<ApplyDealActionResult> {
  const { link, books } = await ruleDocument(deps, integration, input.dealId, key);
  if (!link || !books) return { ok: false, reason: `the rule ${input.ruleId} has no ${kind} for this deal` };
  const document = { kind, booksId: link.booksId, number: link.number, status };
  if (books.data.status === status) return { ok: true, document, created: false };
  if (books.data.status !== 'draft')
    return {
      ok: false,
      reason: `the ${kind} ${link.number} is ${String(books.data.status)}, no longer a draft`,
    };
  await patchStatus(deps, integration, kind, books, status);
  return { ok: true, document, created: false };
}

/** Writes a status on the version read; a document changed since is retried from a fresh read. */
async function patchStatus(
  deps: DealDeps,
  integration: IntegrationDoc,
  kind: DealDocumentKind,
  books: StoredRecord<Data>,
  status: string,
): Promise<void> {
  const result = await booksCollection(deps, kind).patchMany(integration.booksOrgId, [
    {
      id: books.id,
      expectedModifiedTime: books.modifiedTime,
      base: books.data,
      data: { ...books.data, status },
    },
  ]);
  if (result.stale.length > 0)
    throw ApplicationFailure.retryable(
      `Books ${kind} ${books.id} changed while it was written`,
      ErrorType.Conflict,
    );
}

/** Claims the business key, then writes the Books document under the claim's id if it is not there. */
async function createDocument(
  deps: DealDeps,
  integration: IntegrationDoc,
  input: ApplyDealActionInput,
  kind: DealDocumentKind,
  key: string,
): Promise<ApplyDealActionResult> {
  const org = integration.crmOrgId;
  const deal = await dealOf(deps, org, input.dealId);
  if (!deal) return { ok: false, reason: `the CRM deal ${input.dealId} does not exist or was deleted` };
  const party = partyOf(integration, deal);
  const customer = party && (await customerOf(deps, integration, party));
  if (!party || !customer?.booksId)
    return { ok: false, reason: `the deal's customer is not in Books: ${customer?.problem ?? 'not synced'}` };
  const claim = await deps.dealStore.claimDocument({
    _id: key,
    integrationId: integration._id,
    crmOrgId: org,
    dealId: input.dealId,
    ruleId: input.ruleId,
    kind,
    booksId: createdRecordId(integration._id, kind, 'books', key),
    number: dealDocumentNumber(kind, input.dealId, input.ruleId),
  });
  const existing = await booksDocumentOf(deps, integration, claim);
  if (existing) {
    if (!claim.written) await deps.dealStore.markDocumentWritten(key);
    return { ok: true, document: factOf(claim, existing.data), created: false };
  }
  const written = await writeNewDocument(
    deps,
    integration,
    input,
    deal,
    { party, booksId: customer.booksId },
    claim,
  );
  if (!written.ok) return written;
  await deps.dealStore.markDocumentWritten(key);
  return { ok: true, document: factOf(claim, written.books), created: true };
}

const factOf = (claim: DealDocumentLinkDoc, books: Data) => ({
  kind: claim.kind,
  booksId: claim.booksId,
  number: claim.number,
  status: String(books.status),
});

/** Maps the deal (S5.4) and inserts the Books document; an invoice from an accepted quote marks it invoiced. */
async function writeNewDocument(
  deps: DealDeps,
  integration: IntegrationDoc,
  input: ApplyDealActionInput,
  deal: CrmDeal,
  customer: { party: { module: 'Accounts' | 'Contacts'; id: string }; booksId: string },
  claim: DealDocumentLinkDoc,
): Promise<{ ok: true; books: Data } | { ok: false; reason: string }> {
  const booksOrg = integration.booksOrgId;
  const [settings, organization, crm, contact, quote] = await Promise.all([
    deps.financeBooks.orgSettings(booksOrg),
    deps.booksStore.getOrganization(booksOrg),
    customerRecord(deps, integration.crmOrgId, customer.party),
    deps.booksStore.module('contacts').findByIds(booksOrg, [customer.booksId]),
    claim.kind === 'invoice' ? acceptedQuoteOf(deps, integration, input) : Promise.resolve(undefined),
  ]);
  if (!settings || !organization) return { ok: false, reason: `Books org ${booksOrg} is not known` };
  if (!crm)
    return { ok: false, reason: `the CRM ${customer.party.module} record ${customer.party.id} is gone` };
  const sendFromQuote = quote !== undefined && organization.quote_to_invoice_mode === 'send';
  const mapped = toBooksDealDocument({
    kind: claim.kind,
    booksId: claim.booksId,
    number: claim.number,
    status: sendFromQuote ? 'sent' : 'draft',
    deal,
    customer: { booksId: customer.booksId, name: contact[0]?.data.contact_name ?? customer.party.id, crm },
    ...(quote && { fromQuote: quote.id }),
    org: settings,
    today: (deps.now?.() ?? new Date()).toISOString().slice(0, 10),
  });
  if (!mapped.ok)
    return { ok: false, reason: mapped.problems.map((p) => `${p.field}: ${p.reason}`).join('; ') };
  const spec = documentSpecOf(claim.kind);
  await deps.financeBooks
    .records(spec.booksModule)
    .upsertMany(booksOrg, [{ id: claim.booksId, data: mapped.books, syncKey: `cbs:deal:${claim._id}` }]);
  if (quote && quote.data.status !== 'invoiced')
    await patchStatus(deps, integration, 'estimate', quote, 'invoiced');
  return { ok: true, books: mapped.books };
}

async function customerRecord(
  deps: DealDeps,
  org: string,
  party: { module: 'Accounts' | 'Contacts'; id: string },
): Promise<CustomerRecord | undefined> {
  if (party.module === 'Accounts') {
    const [account] = await deps.crmStore.module('Accounts').findByIds(org, [party.id]);
    return account && { module: 'Accounts', data: account.data };
  }
  const [contact] = await deps.crmStore.module('Contacts').findByIds(org, [party.id]);
  return contact && { module: 'Contacts', data: contact.data };
}

/** The rule's accepted quote for the deal, the one an invoice is made from (S5.2). */
async function acceptedQuoteOf(
  deps: DealDeps,
  integration: IntegrationDoc,
  input: ApplyDealActionInput,
): Promise<StoredRecord<Data> | undefined> {
  const key = dealDocumentKey(integration.crmOrgId, input.dealId, input.ruleId, 'estimate');
  const { books: quote } = await ruleDocument(deps, integration, input.dealId, key);
  return quote && ['accepted', 'invoiced'].includes(String(quote.data.status)) ? quote : undefined;
}
