import {
  unionOfGrants,
  type FinanceAction,
  type FinanceModule,
  type Permissions,
  type ProductGrant,
} from './permissions';
import { integrationUserIdOf } from './integration-users';
import { permissionsOfProfile, type IntegrationProfile } from './profiles';

/*
 * The check every finance action from the CRM goes through (S6.3, issue 18 item 4): may this user do this to
 * this module's document, touching these fields? The answer names who, what and why, so a refusal can be shown
 * and audited as it is. Pure; the operations of the transactions issue call it with the acting user.
 */

/** Who acts, as far as permissions go: how the CRM user stands in the Books org. */
export type ActingUser =
  | { kind: 'integration_user'; userId: string; name: string; profile: IntegrationProfile }
  | { kind: 'books_user'; userId: string; name: string; grants: ProductGrant[]; booksUserId?: string }
  /** `notAdded`: why they could not be made an integration user at this first finance action. */
  | { kind: 'none'; userId: string; name: string; notAdded?: string };

export type AccessDecision =
  | { allowed: true; who: string; what: string; approvalRequired: boolean }
  | { allowed: false; who: string; what: string; why: string };

/** The user's permissions in the four finance modules: their profile, or the union of their roles. */
export function resolvePermissions(user: ActingUser): Permissions {
  if (user.kind === 'integration_user') return permissionsOfProfile(user.profile);
  return unionOfGrants(user.kind === 'books_user' ? user.grants : []);
}

/** The Books user the CRM user acts as, if any: their integration user, or their own Books user. */
export function booksUserIdOf(user: ActingUser): string | undefined {
  if (user.kind === 'integration_user') return integrationUserIdOf(user.userId);
  return user.kind === 'books_user' ? user.booksUserId : undefined;
}

/** "Ana Lima (crm user 4001)". */
export function whoOf(user: ActingUser): string {
  return `${user.name} (crm user ${user.userId})`;
}

function whatOf(action: FinanceAction, module: FinanceModule, fields: readonly string[]): string {
  return fields.length === 0 ? `${action} ${module}` : `${action} ${module} (fields ${fields.join(', ')})`;
}

/** Where the user's permissions come from, for a refusal's reason. */
function sourceOf(user: ActingUser): string {
  if (user.kind === 'integration_user') return `the integration user profile ${user.profile}`;
  if (user.kind === 'none')
    return (
      'no Books role (neither a Books user nor an integration user' +
      (user.notAdded === undefined ? ')' : `, and not made one: ${user.notAdded})`)
    );
  const roles = user.grants.map((g) => `${g.product}: ${g.roleName}`);
  return roles.length === 0 ? 'no role in any finance product' : `their roles (${roles.join('; ')})`;
}

/** May `user` do `action` to a `module` document, setting `fields`? */
export function may(
  user: ActingUser,
  action: FinanceAction,
  module: FinanceModule,
  fields: readonly string[] = [],
): AccessDecision {
  const who = whoOf(user);
  const what = whatOf(action, module, fields);
  const perm = resolvePermissions(user)[module];
  if (!perm[action])
    return { allowed: false, who, what, why: `${action} on ${module} is not allowed by ${sourceOf(user)}` };
  const denied = fields.filter((f) => perm.deniedFields.includes(f));
  if (denied.length > 0)
    return {
      allowed: false,
      who,
      what,
      why: `${module} field${denied.length === 1 ? '' : 's'} ${denied.join(', ')} ${denied.length === 1 ? 'is' : 'are'} denied by ${sourceOf(user)}`,
    };
  return { allowed: true, who, what, approvalRequired: perm.approvalRequired && action !== 'view' };
}
