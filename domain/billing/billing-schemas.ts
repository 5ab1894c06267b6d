import { z } from 'zod';
import { safeKeys } from '../safe-keys';
import {
  CurrencyCodeSchema,
  EmailSchema,
  IsoDateSchema,
  RecordIdSchema,
  TimestampSchema,
} from '../validation';

/*
 * Zoho Billing (formerly Subscriptions) API documents, field for field as its JSON (snake_case): plans,
 * add-ons and subscriptions, kept in the Books store's database beside the Books modules (ARCHITECTURE §4),
 * as Zoho Finance shares customers between Books and Billing. Known fields are strict; unknown ones kept.
 * Amounts are the API's decimal numbers; reports turn them into minor units once (domain/money.ts).
 */

const doc = <S extends z.ZodRawShape>(shape: S) => safeKeys(z.looseObject(shape));

const text = z.string().optional();
const optionalDate = IsoDateSchema.optional();
const price = z.number().min(0);

export const BILLING_INTERVAL_UNITS = ['months', 'years'] as const;
export type BillingIntervalUnit = (typeof BILLING_INTERVAL_UNITS)[number];

/** The statuses this service keeps (S7.1); Billing's transient ones (dunning, paused, …) are not seeded. */
export const BILLING_SUBSCRIPTION_STATUSES = [
  'live',
  'trial',
  'non_renewing',
  'cancelled',
  'expired',
] as const;
export type BillingSubscriptionStatus = (typeof BILLING_SUBSCRIPTION_STATUSES)[number];

/** What a billing user may see (S7.3): every customer's subscriptions, their team's, or their own. */
export const BILLING_SCOPES = ['all', 'team', 'own'] as const;
export type BillingScope = (typeof BILLING_SCOPES)[number];

export const BillingPlanDocSchema = doc({
  plan_code: RecordIdSchema,
  name: z.string().min(1),
  /** The price of one unit for one billing interval. */
  recurring_price: price,
  currency_code: CurrencyCodeSchema,
  interval: z.number().int().min(1).max(60),
  interval_unit: z.enum(BILLING_INTERVAL_UNITS),
  trial_period: z.number().int().min(0).optional(),
  status: z.enum(['active', 'inactive']),
  description: text,
  last_modified_time: TimestampSchema.optional(),
});
export type BillingPlan = z.infer<typeof BillingPlanDocSchema>;

export const BillingAddonDocSchema = doc({
  addon_code: RecordIdSchema,
  name: z.string().min(1),
  type: z.enum(['recurring', 'one_time']),
  price_brackets: z.array(z.looseObject({ price })).min(1),
  currency_code: CurrencyCodeSchema,
  interval_unit: z.enum(BILLING_INTERVAL_UNITS).optional(),
  /** The plans it may be added to; empty or absent: every plan. */
  applicable_to_all_plans: z.boolean().optional(),
  status: z.enum(['active', 'inactive']),
  last_modified_time: TimestampSchema.optional(),
});
export type BillingAddon = z.infer<typeof BillingAddonDocSchema>;

const SubscriptionPlanSchema = z.looseObject({
  plan_code: RecordIdSchema,
  name: text,
  quantity: z.number().int().min(1),
  price,
});

const SubscriptionAddonSchema = z.looseObject({
  addon_code: RecordIdSchema,
  name: text,
  quantity: z.number().int().min(1),
  price,
});

/**
 * An upgrade or downgrade, as Billing's subscription activity records it: from the change date the
 * recurring amount was `to_amount` on `to_plan_code`, before it `from_amount` on `from_plan_code`. The
 * subscription's own plan and amount are its terms after the last change.
 */
export const PlanChangeSchema = z.looseObject({
  changed_on: IsoDateSchema,
  from_plan_code: RecordIdSchema,
  to_plan_code: RecordIdSchema,
  from_amount: price,
  to_amount: price,
});
export type PlanChange = z.infer<typeof PlanChangeSchema>;

export const BillingSubscriptionDocSchema = doc({
  subscription_id: RecordIdSchema,
  subscription_number: z.string().min(1),
  name: text,
  status: z.enum(BILLING_SUBSCRIPTION_STATUSES),
  /** The Books contact (customer) it bills: Zoho Finance shares customers between Books and Billing. */
  customer_id: RecordIdSchema,
  customer_name: text,
  /** The customer's contact persons the subscription's mails go to. */
  contactpersons: z.array(z.looseObject({ contactperson_id: RecordIdSchema })).optional(),
  plan: SubscriptionPlanSchema,
  addons: z.array(SubscriptionAddonSchema).optional(),
  /** The recurring amount per interval: plan and recurring add-ons, times their quantities. */
  amount: price,
  currency_code: CurrencyCodeSchema,
  interval: z.number().int().min(1).max(60),
  interval_unit: z.enum(BILLING_INTERVAL_UNITS),
  created_at: IsoDateSchema,
  trial_starts_at: optionalDate,
  trial_ends_at: optionalDate,
  /** When it started paying (a trial's conversion); absent while in trial or for a trial that lapsed. */
  activated_at: optionalDate,
  next_billing_at: optionalDate,
  /** The day it stopped (cancelled) or will stop (non-renewing, expired). */
  cancelled_at: optionalDate,
  expires_at: optionalDate,
  cancel_reason: text,
  plan_changes: z.array(PlanChangeSchema).optional(),
  /** The billing user responsible for the customer: the `own` and `team` scopes follow it (S7.3). */
  salesperson_id: RecordIdSchema.optional(),
  salesperson_name: text,
  last_modified_time: TimestampSchema.optional(),
});
export type BillingSubscription = z.infer<typeof BillingSubscriptionDocSchema>;

/** A user of the billing product: their scope (S7.3) and whether they may create subscriptions (S7.1). */
export const BillingUserDocSchema = doc({
  user_id: RecordIdSchema,
  name: z.string().min(1),
  email: EmailSchema,
  status: z.enum(['active', 'inactive']),
  scope: z.enum(BILLING_SCOPES),
  team_id: RecordIdSchema.optional(),
  can_create_subscriptions: z.boolean(),
});
export type BillingUser = z.infer<typeof BillingUserDocSchema>;
