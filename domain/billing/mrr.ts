import { fromMinor, scaleMinor, toMinor } from '../money';
import type { BillingSubscription } from './billing-schemas';

/*
 * One subscription's recurring revenue through time, in minor units of its currency (exact money rules,
 * domain/money.ts): when it pays, on which plan and amount on a given day, and its monthly (MRR) and yearly
 * (ARR) share of that amount. Days are ISO dates ('2026-03-15'), compared as text.
 *
 * A subscription pays from `activated_at` (a trial pays nothing) up to, not including, the day it ended
 * (`cancelled_at`, else `expires_at`, for a cancelled, expired or non-renewing one): one cancelled on the 15th
 * paid for the 14th but not the 15th. Its terms on a day are its current plan and amount, undone by every
 * plan change made after that day.
 */

export type Day = string;

export interface Terms {
  planCode: string;
  /** The recurring amount per interval, in minor units. */
  amountMinor: number;
}

/** Months in one billing interval: a yearly plan spreads its price over 12. */
export function intervalMonths(sub: Pick<BillingSubscription, 'interval' | 'interval_unit'>): number {
  return sub.interval_unit === 'years' ? sub.interval * 12 : sub.interval;
}

/** The monthly share of an amount per interval, rounded once (half up) in minor units. */
export const monthlyMinor = (amountMinor: number, months: number): number =>
  scaleMinor(amountMinor, 1, months);

/** The yearly share, from the amount itself (not 12 × a rounded MRR): a yearly plan's ARR is its price. */
export const yearlyMinor = (amountMinor: number, months: number): number =>
  scaleMinor(amountMinor, 12, months);

/** The day the subscription stopped or stops paying, if it ends. */
export function endDay(sub: BillingSubscription): Day | undefined {
  if (sub.status === 'live' || sub.status === 'trial') return undefined;
  return sub.cancelled_at ?? sub.expires_at;
}

/** Whether it pays on `day`. */
export function paysOn(sub: BillingSubscription, day: Day): boolean {
  const end = endDay(sub);
  return sub.activated_at !== undefined && sub.activated_at <= day && (end === undefined || day < end);
}

/** Plan changes, oldest first. */
const changesOf = (sub: BillingSubscription) =>
  [...(sub.plan_changes ?? [])].sort((a, b) => a.changed_on.localeCompare(b.changed_on));

/** Its terms at the close of `day` (changes made on `day` included). */
export function termsOn(sub: BillingSubscription, day: Day): Terms {
  return termsWhere(sub, (changedOn) => changedOn > day);
}

/** Its terms just before `day` (changes made on `day` not yet applied): what a churn on `day` takes away. */
export function termsBefore(sub: BillingSubscription, day: Day): Terms {
  return termsWhere(sub, (changedOn) => changedOn >= day);
}

function termsWhere(sub: BillingSubscription, undone: (changedOn: Day) => boolean): Terms {
  let planCode = sub.plan.plan_code;
  let amount = sub.amount;
  for (const change of changesOf(sub).reverse()) {
    if (!undone(change.changed_on)) break;
    planCode = change.from_plan_code;
    amount = change.from_amount;
  }
  return { planCode, amountMinor: toMinor(amount, sub.currency_code) };
}

/** Its MRR at the close of `day`: 0 when it does not pay then. */
export function mrrOn(sub: BillingSubscription, day: Day): number {
  return paysOn(sub, day) ? monthlyMinor(termsOn(sub, day).amountMinor, intervalMonths(sub)) : 0;
}

/** A movement of recurring revenue (S7.2 insights): what happened to one subscription's MRR on a day. */
export interface MrrMovement {
  day: Day;
  kind: 'new' | 'expansion' | 'contraction' | 'churn';
  currency: string;
  /** The MRR gained (new, expansion) or lost (contraction, churn), in minor units: always positive. */
  minor: number;
}

/**
 * Every MRR movement of a subscription: its activation (new), each plan change while it pays (expansion or
 * contraction; a change during the trial or on the activation day only shapes its new MRR), and its end
 * (churn, of the MRR it had just before). Their sum over a period equals the change of MRR over it.
 */
export function movementsOf(sub: BillingSubscription): MrrMovement[] {
  const start = sub.activated_at;
  if (start === undefined) return [];
  const months = intervalMonths(sub);
  const currency = sub.currency_code;
  const end = endDay(sub);
  const movements: MrrMovement[] = [
    { day: start, kind: 'new', currency, minor: monthlyMinor(termsOn(sub, start).amountMinor, months) },
  ];
  for (const change of changesOf(sub)) {
    if (change.changed_on <= start || (end !== undefined && change.changed_on >= end)) continue;
    const delta =
      monthlyMinor(toMinor(change.to_amount, currency), months) -
      monthlyMinor(toMinor(change.from_amount, currency), months);
    if (delta !== 0)
      movements.push({
        day: change.changed_on,
        kind: delta > 0 ? 'expansion' : 'contraction',
        currency,
        minor: Math.abs(delta),
      });
  }
  if (end !== undefined && end > start)
    movements.push({
      day: end,
      kind: 'churn',
      currency,
      minor: monthlyMinor(termsBefore(sub, end).amountMinor, months),
    });
  return movements;
}

/** Minor units as the currency's decimal text, for JSON. */
export const money = (minor: number, currency: string): string => fromMinor(minor, currency);
