import { z } from 'zod';
import { lifecycleStatus } from '../finance/states';
import type { TriggerActionSchema } from '../sync-state-schemas';

/*
 * Deal-stage automation (issue 17, S5): what a deal's change does to its quote or invoice in Books, decided
 * by one pure function over what the workflow's activity read. Every outcome carries its reason, fired or
 * not, because the decision record shows it to people (S5.6: "not fired" must never be silent).
 */

const StageSchema = z.string().min(1).max(200);

/** One rule of an integration: its mode and, in quote mode, the stages that create and approve the quote. */
export const DealRuleSchema = z
  .strictObject({
    /** Names the rule in its decisions and in the business key of its documents. */
    id: z.string().regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be 1-40 letters, digits, ".", "_" or "-"'),
    mode: z.enum(['quote', 'invoice']),
    /** Quote mode: the stage (display value) at which a draft quote is created (S5.2). */
    createQuoteStage: StageSchema.optional(),
    /** Quote mode: the stage at which the quote is approved; the won stage when not given. */
    approveQuoteStage: StageSchema.optional(),
    enabled: z.boolean().default(true),
  })
  .refine((rule) => rule.mode !== 'quote' || rule.createQuoteStage !== undefined, {
    path: ['createQuoteStage'],
    message: 'quote mode needs the stage that creates the quote',
  });
export type DealRule = z.output<typeof DealRuleSchema>;
export type DealRuleInput = z.input<typeof DealRuleSchema>;

/** An integration's rules, as `deals rules set` takes them. */
export const DealRulesSchema = z
  .strictObject({ rules: z.array(DealRuleSchema).max(10) })
  .refine((r) => new Set(r.rules.map((rule) => rule.id)).size === r.rules.length, {
    path: ['rules'],
    message: 'rule ids must be unique',
  });
export type DealRules = z.output<typeof DealRulesSchema>;

export type DealAction = z.infer<typeof TriggerActionSchema>;
export type DealDocumentKind = 'estimate' | 'invoice';

/** How the integration's customers come from the CRM (S2.1): what a deal must be associated with (S5.1). */
export type CustomerModule = 'accounts' | 'contacts' | 'accounts_and_contacts';

/** A document this rule created for this deal, as Books holds it now. */
export interface DealDocumentFact {
  booksId: string;
  number: string;
  status: string;
}

/** What a decision reads: plain JSON, so the workflow passes it from its activity to the function. */
export interface DealFacts {
  dealId: string;
  dealName: string;
  stage: string;
  /** The pipeline's probability for the stage (S5.5); null when the pipeline does not map the stage. */
  probability: number | null;
  amount: number | null;
  accountId: string | null;
  contactId: string | null;
  customerModule: CustomerModule;
  /** The deal's customer in Books, or why it is not there (after a just-in-time sync). */
  customer: { booksId: string | null; problem?: string };
  /** Books org preference (S5.2): an accepted quote becomes an invoice. */
  quoteToInvoice: boolean;
}

export interface DecideDealInput {
  deal: DealFacts;
  rule: DealRule;
  documents: { quote?: DealDocumentFact; invoice?: DealDocumentFact };
}

export interface DealDecision {
  action: DealAction;
  fired: boolean;
  reason: string;
  /** The document acted on or that stopped the trigger. */
  document?: { kind: DealDocumentKind; booksId: string; number: string };
}

export const WON_PROBABILITY = 100;
export const LOST_PROBABILITY = 0;

/** won, lost or open, from the probability alone: stage names mean nothing here (S5.5). */
export function dealOutcome(probability: number | null): 'won' | 'lost' | 'open' {
  if (probability === WON_PROBABILITY) return 'won';
  if (probability === LOST_PROBABILITY) return 'lost';
  return 'open';
}

/** The probability a pipeline gives a stage (by display or actual value), or null when it has none. */
export function stageProbability(
  maps: readonly { display_value: string; actual_value?: string | null; probability?: number | null }[],
  stage: string,
): number | null {
  const mapped = maps.find((m) => m.display_value === stage || m.actual_value === stage);
  return mapped?.probability ?? null;
}

const fire = (action: DealAction, reason: string, document?: DealDecision['document']): DealDecision => ({
  action,
  fired: true,
  reason,
  ...(document && { document }),
});

const hold = (reason: string, document?: DealDecision['document']): DealDecision => ({
  action: 'none',
  fired: false,
  reason: `not fired: ${reason}`,
  ...(document && { document }),
});

const LABEL: Record<DealDocumentKind, string> = { estimate: 'quote', invoice: 'invoice' };

function ref(kind: DealDocumentKind, doc: DealDocumentFact): NonNullable<DealDecision['document']> {
  return { kind, booksId: doc.booksId, number: doc.number };
}

/** The lifecycle status (draft, sent, accepted, void, …) of a document as Books reports it. */
function stage(kind: DealDocumentKind, doc: DealDocumentFact): string {
  return lifecycleStatus(kind, doc.status) ?? doc.status;
}

/**
 * What one rule does for one deal now. Pure and total: every input yields one decision with its reason.
 * Refuses (no action) when the deal lacks what the customer module needs (S5.1), when the stage has no
 * probability, and once the document was sent in Books (S5.6); never creates a second document.
 */
export function decideDeal(input: DecideDealInput): DealDecision {
  const { deal, rule } = input;
  if (!rule.enabled) return hold(`rule ${rule.id} is disabled`);
  const missing = missingAssociation(deal);
  if (missing) return hold(missing);
  if (deal.probability === null)
    return hold(`stage "${deal.stage}" has no probability in the deal's pipeline (S5.5)`);
  return rule.mode === 'invoice' ? decideInvoiceMode(input) : decideQuoteMode(input);
}

/** Why the deal lacks what the customer module needs (S5.1), or undefined when it has it. */
function missingAssociation(deal: DealFacts): string | undefined {
  if (deal.customerModule === 'contacts')
    return deal.contactId
      ? undefined
      : 'the deal has no contact, which the Contacts customer module needs (S5.1)';
  return deal.accountId
    ? undefined
    : 'the deal has no account, which the Accounts customer module needs (S5.1)';
}

/** A create action, unless the customer is not in Books (it was synced just in time and failed). */
function create(deal: DealFacts, action: DealAction, kind: DealDocumentKind, why: string): DealDecision {
  if (deal.customer.booksId === null)
    return hold(
      `the ${LABEL[kind]} needs the deal's customer in Books: ${deal.customer.problem ?? 'it is not synced'}`,
    );
  return fire(action, why);
}

function decideInvoiceMode({ deal, documents }: DecideDealInput): DealDecision {
  const outcome = dealOutcome(deal.probability);
  const invoice = documents.invoice;
  const at = `stage "${deal.stage}" (probability ${deal.probability}%)`;
  if (outcome === 'open') return hold(`${at} is neither won nor lost`);
  if (outcome === 'won') {
    if (!invoice) return create(deal, 'create_invoice', 'invoice', `the deal is won at ${at}`);
    return hold(alreadyThere('invoice', invoice), ref('invoice', invoice));
  }
  if (!invoice) return hold(`the deal is lost at ${at} and has no invoice to void`);
  const status = stage('invoice', invoice);
  if (status === 'draft') return fire('void_invoice', `the deal is lost at ${at}`, ref('invoice', invoice));
  if (status === 'void')
    return hold(`the invoice ${invoice.number} is already void`, ref('invoice', invoice));
  return hold(sentAlready('invoice', invoice), ref('invoice', invoice));
}

function decideQuoteMode({ deal, rule, documents }: DecideDealInput): DealDecision {
  const outcome = dealOutcome(deal.probability);
  const { quote, invoice } = documents;
  const at = `stage "${deal.stage}" (probability ${deal.probability}%)`;
  if (outcome === 'lost') {
    if (!quote) return hold(`the deal is lost at ${at} and has no quote to decline`);
    const status = stage('estimate', quote);
    if (status === 'draft') return fire('decline_quote', `the deal is lost at ${at}`, ref('estimate', quote));
    if (status === 'declined')
      return hold(`the quote ${quote.number} is already declined`, ref('estimate', quote));
    return hold(notDraft(quote), ref('estimate', quote));
  }
  // A won deal is past approval whichever stage approves: it never waits on a stage it skipped.
  if (outcome === 'won' || deal.stage === rule.approveQuoteStage) return approve(deal, quote, invoice, at);
  if (deal.stage === rule.createQuoteStage) {
    if (!quote) return create(deal, 'create_quote', 'estimate', `the deal reached ${at}`);
    return hold(alreadyThere('quote', quote), ref('estimate', quote));
  }
  return hold(`${at} is not a stage of rule ${rule.id}`);
}

/** At the approve stage: create the quote first if there is none, approve it, then invoice it per preference. */
function approve(
  deal: DealFacts,
  quote: DealDocumentFact | undefined,
  invoice: DealDocumentFact | undefined,
  at: string,
): DealDecision {
  if (!quote)
    return create(
      deal,
      'create_quote',
      'estimate',
      `the deal reached ${at}, the approve stage, with no quote yet`,
    );
  const status = stage('estimate', quote);
  if (status === 'draft') return fire('approve_quote', `the deal reached ${at}`, ref('estimate', quote));
  if (status !== 'accepted' && status !== 'invoiced') return hold(notDraft(quote), ref('estimate', quote));
  if (invoice) return hold(alreadyThere('invoice', invoice), ref('invoice', invoice));
  if (!deal.quoteToInvoice)
    return hold(
      `the quote ${quote.number} is accepted and the Books org does not invoice accepted quotes`,
      ref('estimate', quote),
    );
  return create(
    deal,
    'create_invoice',
    'invoice',
    `the quote ${quote.number} is accepted and the Books org invoices accepted quotes`,
  );
}

const alreadyThere = (label: string, doc: DealDocumentFact) =>
  `the ${label} ${doc.number} was already created (${doc.status}); one per deal and rule`;

const sentAlready = (label: string, doc: DealDocumentFact) =>
  `the ${label} ${doc.number} was already sent (${doc.status}); later deal changes trigger nothing on it (S5.6)`;

/** A quote past draft: sent (S5.6) or closed otherwise (expired, …). */
function notDraft(quote: DealDocumentFact): string {
  return stage('estimate', quote) === 'sent'
    ? sentAlready('quote', quote)
    : `the quote ${quote.number} is ${quote.status}`;
}
