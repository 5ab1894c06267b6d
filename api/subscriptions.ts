import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import { startSubscriptionsSync, type SubscriptionsSyncStart } from '../client';
import type { BillingPlan, BillingSubscription, BillingUser } from '../domain/billing/billing-schemas';
import {
  SUBSCRIPTION_VIEW_NAMES,
  crmSubscriptionIdOf,
  subscriptionViews,
} from '../domain/billing/crm-subscriptions';
import { insightsReport, overviewReport, type Insights, type Overview } from '../domain/billing/reports';
import { ScopeError, billingUserOf, canSee } from '../domain/billing/scope';
import type { CrmSubscription } from '../domain/crm-schemas';
import { minorToNumber, toMinor } from '../domain/money';
import type { ZohoProduct } from '../domain/sandbox';
import { integrationIdOf, type Environment } from '../domain/sync-state-schemas';
import { EmailSchema, IsoDateSchema, RecordIdSchema } from '../domain/validation';
import { compileView } from '../domain/views';
import type { BillingStore } from '../stores/billing-store';
import type { CrmStore } from '../stores/crm-store';
import {
  syncBillingIntoCrm,
  syncEveryBillingSubscription,
  type CrmSubscriptions,
  type SubscriptionSyncResult,
} from '../stores/crm-subscriptions';
import type { SyncStateStore } from '../stores/sync-state-store';
import type { Route } from './http';

export type { SubscriptionSyncResult };
import { integrationPath, integrationRefOf } from './route-paths';
import {
  IntegrationRefSchema,
  OperationError,
  operationGroup,
  parseRequest,
  type IntegrationRef,
} from './types';

/*
 * Subscriptions in the CRM (issue 19, S7): billing's subscriptions synced one way into the CRM Subscriptions
 * module (derived ids: a re-run rewrites the same records), read as the related list of an account or a
 * contact or through a predefined view, created from the CRM by a user allowed to (written in billing, then
 * synced back), and the two reports of S7.2. Everything a user reads follows their billing scope (S7.3).
 * The same operations back the HTTP routes below, the CLI (`crm-books-sync subscriptions …`) and the client.
 */

export const SubscriptionListQuerySchema = z.strictObject({
  /** The CRM user asking, by email: their billing scope decides what they see. */
  user: EmailSchema,
  account: RecordIdSchema.optional(),
  contact: RecordIdSchema.optional(),
  view: z.enum(SUBSCRIPTION_VIEW_NAMES).default('all'),
});
export type SubscriptionListQuery = z.input<typeof SubscriptionListQuerySchema>;

export const ReportQuerySchema = z.strictObject({
  user: EmailSchema,
  /** The day the report is made on (default today): the last of its 12 months ends there. */
  asOf: IsoDateSchema.optional(),
});
export type ReportQuery = z.input<typeof ReportQuerySchema>;

export const CreateSubscriptionInputSchema = z.strictObject({
  user: EmailSchema,
  /** The CRM account: it must already be synced to a Books customer, whom billing charges. */
  account: RecordIdSchema,
  contact: RecordIdSchema.optional(),
  planCode: RecordIdSchema,
  quantity: z.number().int().min(1).max(100_000).default(1),
  /** Days of free trial before it pays; none: live from today. */
  trialDays: z.number().int().min(1).max(365).optional(),
  /** The caller's key for this creation: the same reference again creates nothing new. */
  reference: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "letters, digits, '.', '_' or '-'")
    .optional(),
});
export type CreateSubscriptionInput = z.input<typeof CreateSubscriptionInputSchema>;

export interface SubscriptionList {
  view: string;
  scope: BillingUser['scope'];
  subscriptions: CrmSubscription[];
}

export interface CreateSubscriptionResult {
  billingId: string;
  crmId: string;
  written: 'inserted' | 'unchanged';
  /** The CRM record as it came back from billing. */
  record: CrmSubscription;
}

export interface SubscriptionOperations {
  syncSubscriptions(ref: IntegrationRef): Promise<SubscriptionSyncResult>;
  listSubscriptions(ref: IntegrationRef, query: SubscriptionListQuery): Promise<SubscriptionList>;
  createSubscription(ref: IntegrationRef, input: CreateSubscriptionInput): Promise<CreateSubscriptionResult>;
  overview(ref: IntegrationRef, query: ReportQuery): Promise<Overview>;
  insights(ref: IntegrationRef, query: ReportQuery): Promise<Insights>;
}

export interface SubscriptionOperationsDeps {
  billing: BillingStore;
  crm: CrmStore;
  crmSubscriptions: CrmSubscriptions;
  links: Pick<SyncStateStore, 'findLinksByBooksIds' | 'findLinksByCrmIds'>;
  /** Today as an ISO date; the wall clock's by default. */
  today?: () => string;
}

/** The operations' dependencies out of the composition root's (workers/deps.ts). */
export function subscriptionDepsOf(deps: {
  billingStore: BillingStore;
  crmStore: CrmStore;
  crmSubscriptions: CrmSubscriptions;
  syncState: SubscriptionOperationsDeps['links'];
}): SubscriptionOperationsDeps {
  return {
    billing: deps.billingStore,
    crm: deps.crmStore,
    crmSubscriptions: deps.crmSubscriptions,
    links: deps.syncState,
  };
}

/** `day` plus `days` days. */
const addDays = (day: string, days: number) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** `day` plus `months` months (the 31st of a short month runs into the next, as Date does). */
function addMonths(day: string, months: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

/**
 * S7.1: enabling an integration with Billing starts the job that keeps its CRM Subscriptions module following
 * billing, at the integration's periodic-sync interval (none without Billing). Idempotent per integration.
 */
export async function scheduleSubscriptionsSync(
  temporal: Client,
  taskQueue: string,
  enabled: {
    crmOrgId: string;
    booksOrgId: string;
    environment: Environment;
    products: readonly ZohoProduct[];
    config: { periodicSyncMinutes: number };
  },
): Promise<SubscriptionsSyncStart | undefined> {
  if (!enabled.products.includes('billing')) return undefined;
  return startSubscriptionsSync(temporal, taskQueue, {
    ...enabled,
    everyMinutes: enabled.config.periodicSyncMinutes,
  });
}

export function createSubscriptionOperations(deps: SubscriptionOperationsDeps): SubscriptionOperations {
  const today = deps.today ?? (() => new Date().toISOString().slice(0, 10));
  const refOf = (raw: IntegrationRef) => parseRequest(IntegrationRefSchema, raw, 'integration');

  /** The billing user of a CRM user, with everyone else (a `team` scope reads its mates). */
  async function billingUser(booksOrgId: string, email: string) {
    const users = await deps.billing.users.list(booksOrgId);
    try {
      return { user: billingUserOf(users, email), users };
    } catch (err) {
      if (err instanceof ScopeError) throw new OperationError('forbidden', err.message);
      throw err;
    }
  }

  const syncToCrm = (ref: Required<IntegrationRef>, subs: readonly BillingSubscription[]) =>
    syncBillingIntoCrm(deps, ref, subs);

  /** The billing subscriptions `email` may see, and the org's plans, for a report. */
  async function reportInput(raw: IntegrationRef, rawQuery: ReportQuery) {
    const ref = refOf(raw);
    const query = parseRequest(ReportQuerySchema, rawQuery, 'report query');
    const { user, users } = await billingUser(ref.booksOrgId, query.user);
    const [subs, plans] = await Promise.all([
      deps.billing.listSubscriptions(ref.booksOrgId),
      deps.billing.listPlans(ref.booksOrgId),
    ]);
    return {
      subscriptions: subs.map((s) => s.data).filter((s) => canSee(user, s, users)),
      plans,
      asOf: query.asOf ?? today(),
    };
  }

  /** The new subscription's billing document: live from today, or in trial for `trialDays`. */
  function newSubscription(
    id: string,
    input: z.output<typeof CreateSubscriptionInputSchema>,
    plan: BillingPlan,
    customerId: string,
    user: BillingUser,
  ): BillingSubscription {
    const day = today();
    const amount = minorToNumber(
      toMinor(plan.recurring_price, plan.currency_code) * input.quantity,
      plan.currency_code,
    );
    const months = plan.interval_unit === 'years' ? plan.interval * 12 : plan.interval;
    const terms =
      input.trialDays === undefined
        ? { status: 'live' as const, activated_at: day, next_billing_at: addMonths(day, months) }
        : {
            status: 'trial' as const,
            trial_starts_at: day,
            trial_ends_at: addDays(day, input.trialDays),
            next_billing_at: addDays(day, input.trialDays),
          };
    return {
      subscription_id: id,
      subscription_number: `SUB-${id.slice(-8).toUpperCase()}`,
      customer_id: customerId,
      plan: {
        plan_code: plan.plan_code,
        name: plan.name,
        quantity: input.quantity,
        price: plan.recurring_price,
      },
      amount,
      currency_code: plan.currency_code,
      interval: plan.interval,
      interval_unit: plan.interval_unit,
      created_at: day,
      ...terms,
      salesperson_id: user.user_id,
      salesperson_name: user.name,
    };
  }

  return {
    /** Syncs every billing subscription of the Books org into the CRM org. Idempotent. */
    async syncSubscriptions(raw) {
      return syncEveryBillingSubscription(deps, refOf(raw));
    },

    /** An account's or a contact's related list, or a predefined view of the module, within the user's scope. */
    async listSubscriptions(raw, rawQuery) {
      const ref = refOf(raw);
      const query = parseRequest(SubscriptionListQuerySchema, rawQuery, 'subscription query');
      const { user, users } = await billingUser(ref.booksOrgId, query.user);
      const [records, billing] = await Promise.all([
        query.account !== undefined
          ? deps.crmSubscriptions.ofAccount(ref.crmOrgId, query.account)
          : query.contact !== undefined
            ? deps.crmSubscriptions.ofContact(ref.crmOrgId, query.contact)
            : deps.crmSubscriptions.all(ref.crmOrgId),
        deps.billing.listSubscriptions(ref.booksOrgId),
      ]);
      const byId = new Map(billing.map((s) => [s.id, s.data]));
      const view = compileView(subscriptionViews(today())[query.view], {
        module: 'Subscriptions',
        currentUserId: user.user_id,
        now: `${today()}T00:00:00Z`,
      });
      const visible = records
        .map((r) => r.data)
        .filter((r) => {
          const sub = byId.get(r.Billing_Id ?? '');
          return sub !== undefined && canSee(user, sub, users) && view.matches(r);
        })
        .sort((a, b) => a.Subscription_Number.localeCompare(b.Subscription_Number));
      return { view: query.view, scope: user.scope, subscriptions: visible };
    },

    /**
     * Creates a subscription in billing for a CRM account, as a user allowed to (S7.1), and syncs it back into
     * the CRM at once. With a `reference`, idempotent. Refuses an unknown plan, an account not yet synced to
     * Books, a user without the permission.
     */
    async createSubscription(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(CreateSubscriptionInputSchema, body, 'subscription');
      const { user } = await billingUser(ref.booksOrgId, input.user);
      if (!user.can_create_subscriptions)
        throw new OperationError('forbidden', `${input.user} may not create subscriptions in billing`);
      const integrationId = integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment);
      const [link] = await deps.links.findLinksByCrmIds(
        integrationId,
        'customer',
        [input.account],
        'Accounts',
      );
      if (!link)
        throw new OperationError(
          'conflict',
          `account ${input.account} is not synced to a Books customer yet`,
        );
      const [plan] = await deps.billing.plans.findByIds(ref.booksOrgId, [input.planCode]);
      if (!plan || plan.deleted || plan.data.status !== 'active')
        throw new OperationError('not_found', `no active plan ${input.planCode} in billing`);
      const id = input.reference === undefined ? randomUUID() : `crm-${input.reference}`;
      const [existing] = await deps.billing.subscriptions.findByIds(ref.booksOrgId, [id]);
      const sub = existing?.data ?? newSubscription(id, input, plan.data, link.booksId, user);
      if (!existing) await deps.billing.subscriptions.upsertMany(ref.booksOrgId, [{ id, data: sub }]);
      const { records } = await syncToCrm(ref, [sub]);
      return {
        billingId: id,
        crmId: crmSubscriptionIdOf(id),
        written: existing ? 'unchanged' : 'inserted',
        record: records[0]!,
      };
    },

    async overview(raw, query) {
      return overviewReport(await reportInput(raw, query));
    },

    async insights(raw, query) {
      return insightsReport(await reportInput(raw, query));
    },
  };
}

/** The subscription operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function subscriptionsOf(ops: {
  subscriptions?: SubscriptionOperations | undefined;
}): SubscriptionOperations {
  return operationGroup(ops, 'subscriptions', 'subscription');
}

/** The routes of the subscription operations (README "HTTP API"). */
export const SUBSCRIPTION_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: integrationPath('subscriptions'),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) =>
      subscriptionsOf(ops).listSubscriptions(integrationRefOf(params), query as SubscriptionListQuery),
  },
  {
    method: 'POST',
    path: integrationPath('subscriptions'),
    body: 'object',
    query: [],
    status: 201,
    handle: (ops, { params, body }) =>
      subscriptionsOf(ops).createSubscription(integrationRefOf(params), body as CreateSubscriptionInput),
  },
  {
    method: 'POST',
    path: integrationPath('subscriptions', 'sync'),
    body: 'optional',
    query: [],
    handle: (ops, { params }) => subscriptionsOf(ops).syncSubscriptions(integrationRefOf(params)),
  },
  ...(['overview', 'insights'] as const).map((report): Route => ({
    method: 'GET',
    path: integrationPath('subscriptions', 'reports', report),
    body: 'none',
    query: 'schema',
    handle: (ops, { params, query }) =>
      subscriptionsOf(ops)[report](integrationRefOf(params), query as ReportQuery),
  })),
];
