import { may, resolvePermissions, type ActingUser } from '../../../../domain/users/access';
import {
  RolePermissionsSchema,
  type FinanceAction,
  type FinanceModule,
  type ProductGrant,
} from '../../../../domain/users/permissions';

/*
 * Permission resolution (S6.2–S6.4) as tables: each profile, a Books role with a module denied, a field-level
 * denial, approval required, and the union across finance products.
 */

const integrationUser = (profile: 'finance_default' | 'estimates_legacy'): ActingUser => ({
  kind: 'integration_user',
  userId: '4001',
  name: 'Ana Lima',
  profile,
});
const booksUser = (...grants: ProductGrant[]): ActingUser => ({
  kind: 'books_user',
  userId: '4002',
  name: 'Bo Chen',
  grants,
});

/** A role as the Books role document states it, the unstated flags defaulted by the schema. */
function grant(product: ProductGrant['product'], roleName: string, permissions: unknown): ProductGrant {
  return { product, roleName, permissions: RolePermissionsSchema.parse(permissions) };
}

const full = { view: true, create: true, edit: true, delete: true };
/** Books: a sales role without purchase orders, the invoice's discount field denied, estimates need approval. */
const salesRole = grant('books', 'Sales', {
  estimates: { ...full, approvalRequired: true },
  salesorders: full,
  invoices: { ...full, deniedFields: ['discount', 'adjustment'] },
});
/** Inventory: purchase orders in full, invoices view-only with `adjustment` denied, no approval anywhere. */
const inventoryRole = grant('inventory', 'Buyer', {
  purchaseorders: full,
  invoices: { view: true, deniedFields: ['adjustment'] },
  estimates: { view: true, create: true },
});

describe('the permissions of each integration-user profile', () => {
  it.each<[FinanceModule, FinanceAction, boolean, boolean]>([
    ['estimates', 'view', true, true],
    ['estimates', 'create', true, true],
    ['estimates', 'edit', true, true],
    ['estimates', 'delete', false, true],
    ['salesorders', 'create', true, false],
    ['salesorders', 'view', true, true],
    ['invoices', 'edit', true, false],
    ['invoices', 'view', true, true],
    ['purchaseorders', 'create', true, false],
    ['purchaseorders', 'delete', false, false],
  ])('%s %s: default %s, legacy %s', (module, action, byDefault, byLegacy) => {
    expect(may(integrationUser('finance_default'), action, module).allowed).toBe(byDefault);
    expect(may(integrationUser('estimates_legacy'), action, module).allowed).toBe(byLegacy);
  });

  it('neither profile requires approval nor denies a field', () => {
    for (const profile of ['finance_default', 'estimates_legacy'] as const)
      for (const perm of Object.values(resolvePermissions(integrationUser(profile)))) {
        expect(perm.approvalRequired).toBe(false);
        expect(perm.deniedFields).toEqual([]);
      }
  });

  it('a refusal names who, what and why', () => {
    expect(may(integrationUser('estimates_legacy'), 'create', 'invoices', ['total'])).toEqual({
      allowed: false,
      who: 'Ana Lima (crm user 4001)',
      what: 'create invoices (fields total)',
      why: 'create on invoices is not allowed by the integration user profile estimates_legacy',
    });
  });
});

describe("a Books user's role applies from the CRM", () => {
  it.each<[string, FinanceAction, FinanceModule, string[], boolean, string | boolean]>([
    [
      'a module the role does not name is denied',
      'view',
      'purchaseorders',
      [],
      false,
      'view on purchaseorders is not allowed by their roles (books: Sales)',
    ],
    ['a module it grants is allowed', 'create', 'salesorders', ['customer_id'], true, false],
    [
      'a denied field is refused',
      'edit',
      'invoices',
      ['date', 'discount'],
      false,
      'invoices field discount is denied by their roles (books: Sales)',
    ],
    [
      'two denied fields are named',
      'create',
      'invoices',
      ['adjustment', 'discount'],
      false,
      'invoices fields adjustment, discount are denied by their roles (books: Sales)',
    ],
    ['the other fields are allowed', 'edit', 'invoices', ['date'], true, false],
    ['approval is required where the role says so', 'create', 'estimates', [], true, true],
    ['viewing never waits for approval', 'view', 'estimates', [], true, false],
  ])('%s', (_case, action, module, fields, allowed, reasonOrApproval) => {
    const decision = may(booksUser(salesRole), action, module, fields);
    expect(decision.allowed).toBe(allowed);
    if (decision.allowed) expect(decision.approvalRequired).toBe(reasonOrApproval);
    else expect(decision.why).toBe(reasonOrApproval);
  });

  it('a user with no finance role, and one in neither system, may do nothing', () => {
    expect(may(booksUser(), 'view', 'estimates')).toMatchObject({
      allowed: false,
      why: 'view on estimates is not allowed by no role in any finance product',
    });
    expect(may({ kind: 'none', userId: '9', name: 'Cy' }, 'view', 'invoices')).toMatchObject({
      allowed: false,
      who: 'Cy (crm user 9)',
      why: 'view on invoices is not allowed by no Books role (neither a Books user nor an integration user)',
    });
  });

  it('a user who could not be made an integration user at their first finance action is told why', () => {
    const over = 'over the limit of 1,000 integration users per Books org: 0 places left';
    expect(
      may({ kind: 'none', userId: '9', name: 'Cy', notAdded: over }, 'create', 'invoices'),
    ).toMatchObject({
      allowed: false,
      why:
        'create on invoices is not allowed by no Books role (neither a Books user nor an integration user, ' +
        `and not made one: ${over})`,
    });
  });
});

describe('a user in several finance products gets the union (S6.4)', () => {
  const both = booksUser(salesRole, inventoryRole);

  it.each<[string, FinanceAction, FinanceModule, string[], boolean]>([
    ['a module only one product grants', 'create', 'purchaseorders', [], true],
    ['an action only one product grants', 'delete', 'invoices', [], true],
    ['a field denied by one product but not the other', 'edit', 'invoices', ['discount'], true],
    ['a field every granting product denies', 'edit', 'invoices', ['adjustment'], false],
  ])('%s', (_case, action, module, fields, allowed) => {
    expect(may(both, action, module, fields).allowed).toBe(allowed);
  });

  it('approval is required only where every granting product requires it', () => {
    expect(may(booksUser(salesRole), 'create', 'estimates')).toMatchObject({ approvalRequired: true });
    expect(may(both, 'create', 'estimates')).toMatchObject({ allowed: true, approvalRequired: false });
  });

  it('the reason of a refusal names every role', () => {
    expect(may(both, 'edit', 'invoices', ['adjustment'])).toMatchObject({
      why: 'invoices field adjustment is denied by their roles (books: Sales; inventory: Buyer)',
    });
  });

  it('is the same whichever order the products come in', () => {
    expect(resolvePermissions(booksUser(inventoryRole, salesRole))).toEqual(resolvePermissions(both));
  });
});
