import { fromMinor, scaleMinor } from '../money';
import type { BillingPlan, BillingSubscription } from './billing-schemas';
import {
  endDay,
  intervalMonths,
  money,
  movementsOf,
  paysOn,
  termsOn,
  yearlyMinor,
  monthlyMinor,
  type Day,
  type MrrMovement,
} from './mrr';

/*
 * The predefined subscription reports of S7.2, pure over the subscriptions a user may see (scope.ts):
 * *overview* — paying subscriptions, new, churned, MRR and ARR by plan and currency, month by month over the
 * last 12 months — and *insights* — churn rate, net MRR movement (new, expansion, contraction, churn), trial
 * conversion, top plans. Money stays in minor units per currency until it is written as decimal text; figures
 * of different currencies are never added together.
 */

/** How many months the reports cover, the month of `asOf` last. */
export const REPORT_MONTHS = 12;
/** How many plans per currency the insights rank. */
export const TOP_PLANS = 5;

export interface ReportInput {
  subscriptions: readonly BillingSubscription[];
  plans: readonly BillingPlan[];
  /** The day the reports are made on: the last month ends there, not at its last day. */
  asOf: Day;
}

/** Decimal text per currency code: `{EUR: "120.00", USD: "98.50"}`. */
export type ByCurrency = Record<string, string>;

export interface MonthFigures {
  month: string;
  /** Paying at the close of the month (of `asOf` for the last one). */
  active: number;
  /** Activated during the month (a trial counts when it converts). */
  new: number;
  /** Ended during the month after paying. */
  churned: number;
  mrr: ByCurrency;
  arr: ByCurrency;
}

export interface PlanFigures {
  planCode: string;
  planName: string;
  currency: string;
  active: number;
  mrr: string;
  arr: string;
}

export interface Overview {
  asOf: Day;
  months: MonthFigures[];
  /** As of `asOf`. */
  current: { active: number; trials: number; mrr: ByCurrency; arr: ByCurrency };
  byPlan: PlanFigures[];
}

export interface MovementFigures {
  new: string;
  expansion: string;
  contraction: string;
  churn: string;
  /** new + expansion − contraction − churn: the change of MRR over the period. */
  net: string;
}

export interface Insights {
  asOf: Day;
  from: Day;
  /**
   * Churned during the window over those that paid at some point in it (paying at its start, or new in it),
   * as a percentage with two places; `null` when none paid.
   */
  churnRate: { churned: number; base: number; percent: string | null };
  /** Per month: churned in the month over those paying at the close of the month before. */
  monthlyChurn: { month: string; churned: number; base: number; percent: string | null }[];
  movement: Record<string, MovementFigures>;
  monthlyMovement: { month: string; byCurrency: Record<string, MovementFigures> }[];
  /** Trials started in the window: converted, lapsed (ended unpaid) and still open; rate over the decided. */
  trialConversion: {
    started: number;
    converted: number;
    lapsed: number;
    open: number;
    percent: string | null;
  };
  topPlans: PlanFigures[];
}

// ---------------------------------------------------------------------------------------------------------
// Calendar

/** The `count` months ending with the month of `asOf`, oldest first: `2026-01`, …, `2026-12`. */
export function monthsEnding(asOf: Day, count = REPORT_MONTHS): string[] {
  const year = Number(asOf.slice(0, 4));
  const month = Number(asOf.slice(5, 7)) - 1;
  return Array.from({ length: count }, (_, i) => {
    const d = new Date(Date.UTC(year, month - (count - 1 - i), 1));
    return d.toISOString().slice(0, 7);
  });
}

/** The month's last day, or `asOf` when the month is the current one: figures are never of the future. */
export function closeOf(month: string, asOf: Day): Day {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(year, m, 0)).toISOString().slice(0, 10);
  return last < asOf ? last : asOf;
}

/** The day before a month's first day. */
const dayBefore = (month: string): Day =>
  new Date(Date.parse(`${month}-01T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

const monthOf = (day: Day) => day.slice(0, 7);

// ---------------------------------------------------------------------------------------------------------
// Sums per currency

function addTo(sums: Map<string, number>, currency: string, minor: number): void {
  sums.set(currency, (sums.get(currency) ?? 0) + minor);
}

/** Decimal text per currency, currencies in code order so the JSON is stable. */
function byCurrency(sums: Map<string, number>): ByCurrency {
  return Object.fromEntries(
    [...sums].sort(([a], [b]) => a.localeCompare(b)).map(([c, minor]) => [c, money(minor, c)]),
  );
}

/** A ratio as a percentage with two places, rounded half up (1 of 6: "16.67"); `null` over nothing. */
export function percentOf(part: number, whole: number): string | null {
  if (whole === 0) return null;
  return fromMinor(scaleMinor(part, 10_000, whole), { decimals: 2 });
}

// ---------------------------------------------------------------------------------------------------------
// Overview

/** MRR and ARR per currency, and the paying count, at the close of `day`. */
function revenueOn(subs: readonly BillingSubscription[], day: Day) {
  const mrr = new Map<string, number>();
  const arr = new Map<string, number>();
  let active = 0;
  for (const sub of subs) {
    if (!paysOn(sub, day)) continue;
    active += 1;
    const { amountMinor } = termsOn(sub, day);
    addTo(mrr, sub.currency_code, monthlyMinor(amountMinor, intervalMonths(sub)));
    addTo(arr, sub.currency_code, yearlyMinor(amountMinor, intervalMonths(sub)));
  }
  return { active, mrr, arr };
}

/** Paying subscriptions per plan and currency at the close of `day`, by currency then MRR (largest first). */
export function planFigures(input: ReportInput, day: Day): PlanFigures[] {
  const names = new Map(input.plans.map((p) => [p.plan_code, p.name]));
  const rows = new Map<
    string,
    { planCode: string; currency: string; active: number; mrr: number; arr: number }
  >();
  for (const sub of input.subscriptions) {
    if (!paysOn(sub, day)) continue;
    const { planCode, amountMinor } = termsOn(sub, day);
    const key = `${planCode}|${sub.currency_code}`;
    const row = rows.get(key) ?? { planCode, currency: sub.currency_code, active: 0, mrr: 0, arr: 0 };
    row.active += 1;
    row.mrr += monthlyMinor(amountMinor, intervalMonths(sub));
    row.arr += yearlyMinor(amountMinor, intervalMonths(sub));
    rows.set(key, row);
  }
  return [...rows.values()]
    .sort(
      (a, b) => a.currency.localeCompare(b.currency) || b.mrr - a.mrr || a.planCode.localeCompare(b.planCode),
    )
    .map((r) => ({
      planCode: r.planCode,
      planName: names.get(r.planCode) ?? r.planCode,
      currency: r.currency,
      active: r.active,
      mrr: money(r.mrr, r.currency),
      arr: money(r.arr, r.currency),
    }));
}

/** Activated in the month. */
const isNewIn = (sub: BillingSubscription, month: string) =>
  sub.activated_at !== undefined && monthOf(sub.activated_at) === month;

/** Ended in the month after having paid (a trial that lapses is no churn). */
function churnedIn(sub: BillingSubscription, month: string, asOf: Day): boolean {
  const end = endDay(sub);
  return (
    end !== undefined &&
    end <= asOf &&
    monthOf(end) === month &&
    sub.activated_at !== undefined &&
    sub.activated_at < end
  );
}

/** The overview dashboard's figures (S7.2). */
export function overviewReport(input: ReportInput): Overview {
  const { subscriptions: subs, asOf } = input;
  const months = monthsEnding(asOf).map((month): MonthFigures => {
    const close = revenueOn(subs, closeOf(month, asOf));
    return {
      month,
      active: close.active,
      new: subs.filter((s) => isNewIn(s, month) && s.activated_at! <= asOf).length,
      churned: subs.filter((s) => churnedIn(s, month, asOf)).length,
      mrr: byCurrency(close.mrr),
      arr: byCurrency(close.arr),
    };
  });
  const now = revenueOn(subs, asOf);
  return {
    asOf,
    months,
    current: {
      active: now.active,
      trials: subs.filter((s) => s.status === 'trial').length,
      mrr: byCurrency(now.mrr),
      arr: byCurrency(now.arr),
    },
    byPlan: planFigures(input, asOf),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Insights

/** New, expansion, contraction and churn per currency of the movements given, with their net. */
function movementFigures(movements: readonly MrrMovement[]): Record<string, MovementFigures> {
  const sums = new Map<string, Record<MrrMovement['kind'], number>>();
  for (const m of movements) {
    const row = sums.get(m.currency) ?? { new: 0, expansion: 0, contraction: 0, churn: 0 };
    row[m.kind] += m.minor;
    sums.set(m.currency, row);
  }
  return Object.fromEntries(
    [...sums]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([currency, r]) => [
        currency,
        {
          new: money(r.new, currency),
          expansion: money(r.expansion, currency),
          contraction: money(r.contraction, currency),
          churn: money(r.churn, currency),
          net: money(r.new + r.expansion - r.contraction - r.churn, currency),
        },
      ]),
  );
}

/** Trials started in [from, asOf]: converted, lapsed, open. */
function trialConversion(
  subs: readonly BillingSubscription[],
  from: Day,
  asOf: Day,
): Insights['trialConversion'] {
  const trials = subs.filter(
    (s) => s.trial_starts_at !== undefined && s.trial_starts_at >= from && s.trial_starts_at <= asOf,
  );
  const converted = trials.filter((s) => s.activated_at !== undefined && s.activated_at <= asOf).length;
  const open = trials.filter((s) => s.status === 'trial').length;
  const lapsed = trials.length - converted - open;
  return {
    started: trials.length,
    converted,
    lapsed,
    open,
    percent: percentOf(converted, converted + lapsed),
  };
}

/** The insights dashboard's figures (S7.2) over the same 12 months as the overview. */
export function insightsReport(input: ReportInput): Insights {
  const { subscriptions: subs, asOf } = input;
  const months = monthsEnding(asOf);
  const from = `${months[0]!}-01`;
  const movements = subs.flatMap(movementsOf).filter((m) => m.day >= from && m.day <= asOf);
  const inMonth = (month: string) => movements.filter((m) => monthOf(m.day) === month);

  const activeAtStart = revenueOn(subs, dayBefore(months[0]!)).active;
  const newCount = movements.filter((m) => m.kind === 'new').length;
  const churned = movements.filter((m) => m.kind === 'churn').length;

  return {
    asOf,
    from,
    churnRate: {
      churned,
      base: activeAtStart + newCount,
      percent: percentOf(churned, activeAtStart + newCount),
    },
    monthlyChurn: months.map((month) => {
      const base = revenueOn(subs, dayBefore(month)).active;
      const count = inMonth(month).filter((m) => m.kind === 'churn').length;
      return { month, churned: count, base, percent: percentOf(count, base) };
    }),
    movement: movementFigures(movements),
    monthlyMovement: months.map((month) => ({ month, byCurrency: movementFigures(inMonth(month)) })),
    trialConversion: trialConversion(subs, from, asOf),
    topPlans: topPlans(planFigures(input, asOf)),
  };
}

/** The first TOP_PLANS plans of each currency (rows come ordered by currency, then MRR). */
function topPlans(rows: readonly PlanFigures[]): PlanFigures[] {
  const seen = new Map<string, number>();
  return rows.filter((r) => {
    const n = (seen.get(r.currency) ?? 0) + 1;
    seen.set(r.currency, n);
    return n <= TOP_PLANS;
  });
}
