import type { CrmLookup, CrmSubscription, CrmView } from '../crm-schemas';
import { minorToNumber, toMinor } from '../money';
import type { BillingSubscription } from './billing-schemas';
import { intervalMonths, monthlyMinor } from './mrr';
import { closeOf } from './reports';

/*
 * Billing subscriptions in the CRM (S7.1): the one-way mapping into the CRM `Subscriptions` module, its
 * derived record ids (a re-run writes the same records, never new ones), and its predefined views. Pure.
 */

/** The CRM record id of a billing subscription: derived, so syncing it again finds the same record. */
export const crmSubscriptionIdOf = (billingId: string): string => `bs-${billingId}`;

/** The CRM account and contact a subscription belongs to, from the integration's links of its customer. */
export interface CrmOwners {
  account?: CrmLookup | undefined;
  contact?: CrmLookup | undefined;
}

/** The CRM record of a billing subscription: its number, status, plan, amounts (MRR exact) and dates. */
export function toCrmSubscription(sub: BillingSubscription, owners: CrmOwners): CrmSubscription {
  const currency = sub.currency_code;
  const mrr = monthlyMinor(toMinor(sub.amount, currency), intervalMonths(sub));
  return {
    id: crmSubscriptionIdOf(sub.subscription_id),
    Subscription_Number: sub.subscription_number,
    Status: sub.status,
    Account_Name: owners.account ?? null,
    Contact_Name: owners.contact ?? null,
    Plan_Name: sub.plan.name ?? sub.plan.plan_code,
    Plan_Code: sub.plan.plan_code,
    Currency: currency,
    Amount: sub.amount,
    MRR: minorToNumber(mrr, currency),
    Interval: sub.interval,
    Interval_Unit: sub.interval_unit,
    Activated_On: sub.activated_at ?? null,
    Next_Billing_Date: sub.next_billing_at ?? null,
    Cancelled_On: sub.cancelled_at ?? null,
    Cancellation_Reason: sub.cancel_reason ?? null,
    Billing_Id: sub.subscription_id,
  };
}

/** The predefined views of the Subscriptions module, by name. */
export const SUBSCRIPTION_VIEW_NAMES = [
  'all',
  'live',
  'trials',
  'non-renewing',
  'cancelled-this-month',
] as const;
export type SubscriptionViewName = (typeof SUBSCRIPTION_VIEW_NAMES)[number];

const status = (value: string) => ({ field: { api_name: 'Status' }, comparator: 'equal' as const, value });

/**
 * The predefined views as CRM views (compiled by domain/views.ts like any other), for the day `today`:
 * "cancelled this month" is the cancelled ones whose Cancelled_On falls in today's month up to today.
 */
export function subscriptionViews(today: string): Record<SubscriptionViewName, CrmView> {
  const view = (id: SubscriptionViewName, name: string, criteria: CrmView['criteria']): CrmView => ({
    id,
    name,
    module: 'Subscriptions',
    predefined: true,
    criteria,
  });
  const month = today.slice(0, 7);
  return {
    all: view('all', 'All Subscriptions', null),
    live: view('live', 'Live Subscriptions', status('live')),
    trials: view('trials', 'Trials', status('trial')),
    'non-renewing': view('non-renewing', 'Non-Renewing Subscriptions', status('non_renewing')),
    'cancelled-this-month': view('cancelled-this-month', 'Cancelled This Month', {
      group_operator: 'and',
      group: [
        status('cancelled'),
        {
          field: { api_name: 'Cancelled_On' },
          comparator: 'between',
          value: [`${month}-01`, closeOf(month, today)],
        },
      ],
    }),
  };
}
