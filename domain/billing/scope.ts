import type { BillingSubscription, BillingUser } from './billing-schemas';

/*
 * What a user sees of billing (S7.3): a CRM user sees the subscriptions their billing user's scope allows —
 * every customer's (`all`), those of customers handled by someone of their team (`team`), or of the customers
 * they handle themselves (`own`). The CRM user is matched to the billing user by email, as Zoho's products
 * share one account per person. Pure: the caller loads the users and the subscriptions.
 */

export class ScopeError extends Error {
  override readonly name = 'ScopeError';
}

/** The active billing user of a CRM user's email; throws ScopeError when there is none. */
export function billingUserOf(users: readonly BillingUser[], email: string): BillingUser {
  const wanted = email.trim().toLowerCase();
  const user = users.find((u) => u.email.toLowerCase() === wanted);
  if (!user) throw new ScopeError(`${email} is not a user of the billing organization`);
  if (user.status !== 'active')
    throw new ScopeError(`${email} is ${user.status} in the billing organization`);
  return user;
}

/** Whether `user` may see `sub`. */
export function canSee(user: BillingUser, sub: BillingSubscription, users: readonly BillingUser[]): boolean {
  if (user.scope === 'all') return true;
  if (sub.salesperson_id === undefined) return false;
  if (user.scope === 'own') return sub.salesperson_id === user.user_id;
  const salesperson = users.find((u) => u.user_id === sub.salesperson_id);
  return user.team_id !== undefined && salesperson?.team_id === user.team_id;
}

/** The subscriptions `user` may see. */
export function visibleTo(
  user: BillingUser,
  subs: readonly BillingSubscription[],
  users: readonly BillingUser[],
): BillingSubscription[] {
  return subs.filter((s) => canSee(user, s, users));
}
