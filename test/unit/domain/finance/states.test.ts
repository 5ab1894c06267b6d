import type { FinanceKind } from '../../../../domain/finance/documents';
import {
  checkTransition,
  isFinalStatus,
  lifecycleStatus,
  LIFECYCLES,
} from '../../../../domain/finance/states';

/** Every legal change, written out here rather than read from the module, so the table is checked. */
const LEGAL: Record<FinanceKind, string[]> = {
  estimate: ['draft>sent', 'sent>accepted', 'sent>declined', 'sent>expired', 'accepted>invoiced'],
  salesorder: ['draft>open', 'open>closed', 'open>void'],
  invoice: [
    'draft>sent',
    'draft>void',
    'sent>partially_paid',
    'sent>paid',
    'sent>overdue',
    'sent>void',
    'partially_paid>paid',
    'partially_paid>overdue',
    'partially_paid>sent',
    'overdue>partially_paid',
    'overdue>paid',
    'overdue>sent',
    'overdue>void',
    'paid>partially_paid',
    'paid>sent',
    'paid>overdue',
  ],
  purchaseorder: ['draft>issued', 'issued>billed', 'issued>cancelled'],
};

const KINDS = Object.keys(LEGAL) as FinanceKind[];

/** Every (kind, from, to) of distinct lifecycle statuses: 30 + 12 + 30 + 12 pairs. */
const EVERY_CHANGE = KINDS.flatMap((kind) =>
  LIFECYCLES[kind].flatMap((from) =>
    LIFECYCLES[kind].filter((to) => to !== from).map((to) => [kind, from, to] as const),
  ),
);

describe('checkTransition: every change between lifecycle statuses', () => {
  it('covers every pair', () => {
    expect(EVERY_CHANGE).toHaveLength(84);
  });

  it.each(EVERY_CHANGE.filter(([kind, from, to]) => LEGAL[kind].includes(`${from}>${to}`)))(
    '%s %s -> %s is allowed',
    (kind, from, to) => {
      expect(checkTransition({ kind, from, to })).toEqual({ allowed: true, from, to, changed: true });
    },
  );

  it.each(EVERY_CHANGE.filter(([kind, from, to]) => !LEGAL[kind].includes(`${from}>${to}`)))(
    '%s %s -> %s is refused with a reason',
    (kind, from, to) => {
      const result = checkTransition({ kind, from, to });
      expect(result).toMatchObject({ allowed: false, from, to, field: 'status' });
      expect(result.allowed || result.reason).toMatch(/\w/);
    },
  );
});

describe('checkTransition: reasons', () => {
  it.each([
    ['invoice', 'paid', 'void', 'a paid invoice is not voided: issue a credit note for it'],
    [
      'invoice',
      'partially_paid',
      'void',
      'an invoice with payments is not voided: delete its payments first, or issue a credit note',
    ],
    ['estimate', 'sent', 'invoiced', 'only an accepted estimate is invoiced: mark it accepted first'],
    ['salesorder', 'draft', 'closed', 'a draft sales order is not closed: open it first'],
    ['purchaseorder', 'draft', 'billed', 'a draft purchase order is not billed: issue it first'],
    ['invoice', 'sent', 'draft', 'an invoice that is sent does not go back to draft'],
    ['invoice', 'void', 'paid', 'an invoice that is void is final: it does not become paid'],
    ['salesorder', 'closed', 'open', 'a sales order that is closed is final: it does not become open'],
    [
      'estimate',
      'draft',
      'accepted',
      'an estimate that is draft does not become accepted; it can become sent',
    ],
    ['purchaseorder', 'billed', 'draft', 'a purchase order that is billed does not go back to draft'],
  ] as const)('%s %s -> %s: %s', (kind, from, to, reason) => {
    expect(checkTransition({ kind, from, to })).toEqual({
      allowed: false,
      from,
      to,
      field: 'status',
      reason,
    });
  });

  it.each([
    ['invoice', 'sent', 'shipped', 'unknown invoice status "shipped"'],
    ['purchaseorder', 'bogus', 'issued', 'unknown purchase order status "bogus"'],
    ['estimate', 'draft', 'paid', 'unknown estimate status "paid"'],
    ['salesorder', '__proto__', 'open', 'unknown sales order status "__proto__"'],
  ] as const)('%s %s -> %s is refused: %s', (kind, from, to, reason) => {
    const result = checkTransition({ kind, from, to });
    expect(result.allowed).toBe(false);
    expect(result.allowed || result.reason).toContain(reason);
  });
});

describe("Books' finer statuses", () => {
  it.each([
    ['invoice', 'viewed', 'sent'],
    ['invoice', 'unpaid', 'sent'],
    ['invoice', 'pending_approval', 'draft'],
    ['estimate', 'approved', 'draft'],
    ['estimate', 'viewed', 'sent'],
    ['salesorder', 'onhold', 'open'],
    ['salesorder', 'partially_invoiced', 'open'],
    ['salesorder', 'invoiced', 'closed'],
    ['purchaseorder', 'open', 'issued'],
    ['purchaseorder', 'partially_billed', 'issued'],
    ['purchaseorder', 'closed', 'billed'],
    ['purchaseorder', 'issued', 'issued'],
  ] as const)('%s %s is %s', (kind, books, lifecycle) => {
    expect(lifecycleStatus(kind, books)).toBe(lifecycle);
  });

  it.each([
    ['invoice', 'sent', 'viewed'],
    ['invoice', 'viewed', 'unpaid'],
    ['purchaseorder', 'open', 'issued'],
  ] as const)('%s %s -> %s is no change', (kind, from, to) => {
    expect(checkTransition({ kind, from, to })).toMatchObject({ allowed: true, changed: false });
  });

  it.each([
    ['invoice', 'viewed', 'partially_paid', true],
    ['purchaseorder', 'open', 'billed', true],
    ['purchaseorder', 'open', 'closed', true],
    ['salesorder', 'approved', 'open', true],
    ['estimate', 'viewed', 'accepted', true],
    ['invoice', 'unpaid', 'draft', false],
  ] as const)('%s %s -> %s allowed: %s', (kind, from, to, allowed) => {
    expect(checkTransition({ kind, from, to }).allowed).toBe(allowed);
  });
});

describe('isFinalStatus', () => {
  it.each([
    ['estimate', 'invoiced', true],
    ['estimate', 'declined', true],
    ['estimate', 'expired', true],
    ['estimate', 'sent', false],
    ['salesorder', 'closed', true],
    ['salesorder', 'invoiced', true],
    ['salesorder', 'void', true],
    ['salesorder', 'open', false],
    ['invoice', 'paid', true],
    ['invoice', 'void', true],
    ['invoice', 'partially_paid', false],
    ['invoice', 'overdue', false],
    ['purchaseorder', 'billed', true],
    ['purchaseorder', 'closed', true],
    ['purchaseorder', 'cancelled', true],
    ['purchaseorder', 'open', false],
    ['invoice', 'unknown', false],
  ] as const)('%s %s: %s', (kind, status, final) => {
    expect(isFinalStatus(kind, status)).toBe(final);
  });
});
