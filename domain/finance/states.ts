import type { FieldProblem } from '../validation';
import type { FinanceKind } from './documents';

/*
 * The finance state machine (issue 16, item 4). Books reports finer statuses than the lifecycle needs
 * (`viewed`, `pending_approval`, `onhold`, …); each is read as the lifecycle status it is a shade of, so a
 * change between two shades of one status is no change at all. A change the lifecycle has no edge for is
 * refused with a reason an operator can act on.
 */

export const ESTIMATE_LIFECYCLE = ['draft', 'sent', 'accepted', 'declined', 'expired', 'invoiced'] as const;
export const SALES_ORDER_LIFECYCLE = ['draft', 'open', 'closed', 'void'] as const;
export const INVOICE_LIFECYCLE = ['draft', 'sent', 'partially_paid', 'paid', 'overdue', 'void'] as const;
export const PURCHASE_ORDER_LIFECYCLE = ['draft', 'issued', 'billed', 'cancelled'] as const;

export type EstimateLifecycle = (typeof ESTIMATE_LIFECYCLE)[number];
export type SalesOrderLifecycle = (typeof SALES_ORDER_LIFECYCLE)[number];
export type InvoiceLifecycle = (typeof INVOICE_LIFECYCLE)[number];
export type PurchaseOrderLifecycle = (typeof PURCHASE_ORDER_LIFECYCLE)[number];

export const LIFECYCLES: Readonly<Record<FinanceKind, readonly string[]>> = {
  estimate: ESTIMATE_LIFECYCLE,
  salesorder: SALES_ORDER_LIFECYCLE,
  invoice: INVOICE_LIFECYCLE,
  purchaseorder: PURCHASE_ORDER_LIFECYCLE,
};

/** Books statuses that are a shade of a lifecycle status. An approval step is still a draft to the customer. */
const SHADES: Readonly<Record<FinanceKind, Readonly<Record<string, string>>>> = {
  estimate: { pending_approval: 'draft', approved: 'draft', viewed: 'sent' },
  salesorder: {
    pending_approval: 'draft',
    approved: 'draft',
    onhold: 'open',
    partially_invoiced: 'open',
    overdue: 'open',
    invoiced: 'closed',
  },
  invoice: { pending_approval: 'draft', approved: 'draft', viewed: 'sent', unpaid: 'sent' },
  // Books' API says `open` for what its screens call Issued, and `closed` once fully billed.
  purchaseorder: {
    pending_approval: 'draft',
    approved: 'draft',
    open: 'issued',
    partially_billed: 'issued',
    closed: 'billed',
  },
};

/** Where each lifecycle status may go next. Every edge not listed is refused. */
export const TRANSITIONS: Readonly<Record<FinanceKind, Readonly<Record<string, readonly string[]>>>> = {
  estimate: {
    draft: ['sent'],
    sent: ['accepted', 'declined', 'expired'],
    accepted: ['invoiced'],
    declined: [],
    expired: [],
    invoiced: [],
  },
  salesorder: {
    draft: ['open'],
    open: ['closed', 'void'],
    closed: [],
    void: [],
  },
  invoice: {
    draft: ['sent', 'void'],
    sent: ['partially_paid', 'paid', 'overdue', 'void'],
    // A payment deleted or refunded sends an invoice back; a due date moved on takes it out of overdue.
    partially_paid: ['paid', 'overdue', 'sent'],
    overdue: ['partially_paid', 'paid', 'sent', 'void'],
    paid: ['partially_paid', 'sent', 'overdue'],
    void: [],
  },
  purchaseorder: {
    draft: ['issued'],
    issued: ['billed', 'cancelled'],
    billed: [],
    cancelled: [],
  },
};

/**
 * Where the document workflow stops following a document: nothing more happens to it unless someone changes
 * it, and that change starts the workflow again. A paid invoice is final although a deleted payment can
 * still reopen it.
 */
export const FINAL_STATUSES: Readonly<Record<FinanceKind, readonly string[]>> = {
  estimate: ['declined', 'expired', 'invoiced'],
  salesorder: ['closed', 'void'],
  invoice: ['paid', 'void'],
  purchaseorder: ['billed', 'cancelled'],
};

/** Reasons for the refusals an operator most often meets, said the way out rather than just "no". */
const KNOWN_REFUSALS: Readonly<Record<string, string>> = {
  'invoice:paid>void': 'a paid invoice is not voided: issue a credit note for it',
  'invoice:partially_paid>void':
    'an invoice with payments is not voided: delete its payments first, or issue a credit note',
  'estimate:sent>invoiced': 'only an accepted estimate is invoiced: mark it accepted first',
  'salesorder:draft>closed': 'a draft sales order is not closed: open it first',
  'purchaseorder:draft>billed': 'a draft purchase order is not billed: issue it first',
};

/** The lifecycle status a Books status stands for, or undefined for a status this kind does not have. */
export function lifecycleStatus(kind: FinanceKind, booksStatus: string): string | undefined {
  const shades = SHADES[kind];
  if (Object.hasOwn(shades, booksStatus)) return shades[booksStatus];
  return LIFECYCLES[kind].includes(booksStatus) ? booksStatus : undefined;
}

/** Whether the document workflow can stop following a document in this Books status. */
export function isFinalStatus(kind: FinanceKind, booksStatus: string): boolean {
  const status = lifecycleStatus(kind, booksStatus);
  return status !== undefined && FINAL_STATUSES[kind].includes(status);
}

export interface TransitionInput {
  kind: FinanceKind;
  /** Books status before the change, as Books reports it. */
  from: string;
  /** Books status the change asks for. */
  to: string;
}

/** The outcome of a status change: lifecycle statuses on both ends, and why it was refused. */
export type TransitionResult =
  | { allowed: true; from: string; to: string; changed: boolean }
  | ({ allowed: false; from: string; to: string } & FieldProblem);

/**
 * Whether a document of `kind` may go from one Books status to another. Pure; never throws: a refusal is a
 * result carrying `field: "status"` and a reason, to be recorded with the document.
 */
export function checkTransition(input: TransitionInput): TransitionResult {
  const { kind, from, to } = input;
  const fromStatus = lifecycleStatus(kind, from);
  const toStatus = lifecycleStatus(kind, to);
  const refuse = (reason: string): TransitionResult => ({
    allowed: false,
    from: fromStatus ?? from,
    to: toStatus ?? to,
    field: 'status',
    reason,
  });
  if (fromStatus === undefined) return refuse(unknownStatus(kind, from));
  if (toStatus === undefined) return refuse(unknownStatus(kind, to));
  if (fromStatus === toStatus) return { allowed: true, from: fromStatus, to: toStatus, changed: false };
  const next = TRANSITIONS[kind][fromStatus] ?? [];
  if (next.includes(toStatus)) return { allowed: true, from: fromStatus, to: toStatus, changed: true };
  return refuse(refusalReason(kind, fromStatus, toStatus, next));
}

function refusalReason(kind: FinanceKind, from: string, to: string, next: readonly string[]): string {
  const known = KNOWN_REFUSALS[`${kind}:${from}>${to}`];
  if (known !== undefined) return known;
  const name = withArticle(KIND_NAMES[kind]);
  if (to === 'draft') return `${name} that is ${from} does not go back to draft`;
  if (next.length === 0) return `${name} that is ${from} is final: it does not become ${to}`;
  return `${name} that is ${from} does not become ${to}; it can become ${next.join(', ')}`;
}

function unknownStatus(kind: FinanceKind, status: string): string {
  return `unknown ${KIND_NAMES[kind]} status ${JSON.stringify(status)}; expected one of ${LIFECYCLES[kind].join(', ')}`;
}

const KIND_NAMES: Readonly<Record<FinanceKind, string>> = {
  estimate: 'estimate',
  salesorder: 'sales order',
  invoice: 'invoice',
  purchaseorder: 'purchase order',
};

const withArticle = (noun: string): string => `${/^[aeiou]/.test(noun) ? 'an' : 'a'} ${noun}`;
