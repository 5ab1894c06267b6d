import { groupDigits } from '../sync/labels';

/*
 * Integration users (S6.1): CRM users added to a Books org without a Books licence, by user or by role, up to
 * 1,000 per Books org. Who may be added and what happens to each requested user is decided here, purely, for
 * both the admin's "add" and the migration batch: one rule, one set of reasons.
 */

export const MAX_INTEGRATION_USERS = 1_000;

/** The Books role integration users hold (Books shows it under Users as "Integration User (CRM)"). */
export const INTEGRATION_ROLE = {
  role_id: 'integration_user_crm',
  role_name: 'Integration User (CRM)',
} as const;

/** `user_type` of an integration user's Books user document. */
export const INTEGRATION_USER_TYPE = 'integration_user';

/**
 * The Books user id of a CRM user made an integration user: derived from the CRM user id, so a retried or
 * repeated add finds the user it wrote instead of writing a second one.
 */
export function integrationUserIdOf(crmUserId: string): string {
  return `iu-${crmUserId}`;
}

/** A CRM user as the rule needs it. */
export interface CandidateUser {
  crmUserId: string;
  name: string;
  /** Empty when the CRM user has none. */
  email: string;
  active: boolean;
}

/** How the Books org stands before the add. */
export interface BooksOrgUsers {
  /** Emails (lower case) of its live Books users who are not integration users. */
  booksUserEmails: ReadonlySet<string>;
  /** CRM user ids that are live integration users of the org. */
  integrationUserIds: ReadonlySet<string>;
}

export type AddOutcome =
  | { crmUserId: string; outcome: 'added'; name: string; email: string }
  | { crmUserId: string; outcome: 'already_integration_user' }
  | { crmUserId: string; outcome: 'refused'; reason: string };

/** Places left in a Books org that has `count` integration users. */
export function placesLeft(count: number): number {
  return Math.max(0, MAX_INTEGRATION_USERS - count);
}

function overLimitReason(left: number): string {
  return (
    `over the limit of ${groupDigits(MAX_INTEGRATION_USERS)} integration users per Books org: ` +
    `${groupDigits(left)} place${left === 1 ? '' : 's'} left`
  );
}

/**
 * What happens to each requested CRM user, in request order: added (while places are left), already an
 * integration user (nothing to do), or refused with the reason — unknown, inactive, without an email, already
 * a Books user, or over the limit (saying how many places are left). `found` holds the CRM users that exist.
 */
export function planAdditions(
  requested: readonly string[],
  found: ReadonlyMap<string, CandidateUser>,
  org: BooksOrgUsers,
): AddOutcome[] {
  let left = placesLeft(org.integrationUserIds.size);
  const seen = new Set<string>();
  const outcomes: AddOutcome[] = [];
  for (const crmUserId of requested) {
    if (seen.has(crmUserId)) continue;
    seen.add(crmUserId);
    const refuse = (reason: string) => outcomes.push({ crmUserId, outcome: 'refused', reason });
    const user = found.get(crmUserId);
    if (org.integrationUserIds.has(crmUserId))
      outcomes.push({ crmUserId, outcome: 'already_integration_user' });
    else if (!user) refuse('no such CRM user');
    else if (!user.active) refuse('the CRM user is not active');
    else if (user.email.trim() === '') refuse('the CRM user has no email address');
    else if (org.booksUserEmails.has(user.email.toLowerCase()))
      refuse(`already a Books user (${user.email}): a Books user cannot be an integration user`);
    else if (left === 0) refuse(overLimitReason(0));
    else {
      left--;
      outcomes.push({ crmUserId, outcome: 'added', name: user.name, email: user.email });
    }
  }
  return outcomes;
}

/** The CRM users named by id or holding one of the roles, ids first, each once (S6.1: by user or by role). */
export function selectUsers(
  users: readonly { crmUserId: string; roleId: string | undefined }[],
  by: { userIds?: readonly string[]; roleIds?: readonly string[] },
): string[] {
  const roles = new Set(by.roleIds ?? []);
  const byRole = users.filter((u) => u.roleId !== undefined && roles.has(u.roleId)).map((u) => u.crmUserId);
  return [...new Set([...(by.userIds ?? []), ...byRole])];
}
