import { z } from 'zod';

/*
 * Unified permissions (S6.2–S6.4): what a CRM user may do in the four finance modules. A user who is in both
 * systems carries their Books role's module permissions, field permissions and approval requirement into the
 * CRM; a user in several finance products gets the union of their roles; an integration user gets the
 * profile their Books org selected. Pure: resolution and the check take data and return data.
 */

export const FINANCE_MODULES = ['estimates', 'salesorders', 'invoices', 'purchaseorders'] as const;
export type FinanceModule = (typeof FINANCE_MODULES)[number];

export const FINANCE_ACTIONS = ['view', 'create', 'edit', 'delete'] as const;
export type FinanceAction = (typeof FINANCE_ACTIONS)[number];

/** One module's permissions in one role: its actions, the fields denied, and whether approval is required. */
export const ModulePermissionSchema = z.strictObject({
  view: z.boolean().default(false),
  create: z.boolean().default(false),
  edit: z.boolean().default(false),
  delete: z.boolean().default(false),
  /** Documents created or edited wait for approval before they are sent (Books' approval process). */
  approvalRequired: z.boolean().default(false),
  /** Fields the role may neither set nor change (Books field-level permissions). */
  deniedFields: z.array(z.string().min(1).max(100)).max(500).default([]),
});
export type ModulePermission = z.output<typeof ModulePermissionSchema>;

/**
 * A role's permissions by finance module, as the Books role document carries them (`permissions`); a module
 * it does not name is denied in full.
 */
export const RolePermissionsSchema = z.strictObject({
  estimates: ModulePermissionSchema.optional(),
  salesorders: ModulePermissionSchema.optional(),
  invoices: ModulePermissionSchema.optional(),
  purchaseorders: ModulePermissionSchema.optional(),
});
export type RolePermissions = z.output<typeof RolePermissionsSchema>;

export type Permissions = Record<FinanceModule, ModulePermission>;

export const NO_ACCESS: ModulePermission = {
  view: false,
  create: false,
  edit: false,
  delete: false,
  approvalRequired: false,
  deniedFields: [],
};

/** The finance products a user can hold a role in (S6.4). */
export const FINANCE_PRODUCTS = ['books', 'invoice', 'inventory', 'billing', 'expense'] as const;
export type FinanceProduct = (typeof FINANCE_PRODUCTS)[number];

/** A user's role in one finance product. */
export interface ProductGrant {
  product: FinanceProduct;
  roleName: string;
  permissions: RolePermissions;
}

const grants = (perm: ModulePermission) => FINANCE_ACTIONS.some((action) => perm[action]);

/** Every module of a role, the ones it does not name denied. */
export function permissionsOfRole(role: RolePermissions): Permissions {
  return Object.fromEntries(FINANCE_MODULES.map((m) => [m, role[m] ?? NO_ACCESS])) as Permissions;
}

/**
 * The union of several modules' permissions (S6.4): an action any of them allows; approval only where every
 * permission granting the module requires it (one product lets the user act without it); a field denied only
 * where every granting permission denies it.
 */
function unionOfModule(perms: readonly ModulePermission[]): ModulePermission {
  const granting = perms.filter(grants);
  if (granting.length === 0) return NO_ACCESS;
  const [first, ...rest] = granting;
  return {
    view: granting.some((p) => p.view),
    create: granting.some((p) => p.create),
    edit: granting.some((p) => p.edit),
    delete: granting.some((p) => p.delete),
    approvalRequired: granting.every((p) => p.approvalRequired),
    deniedFields: first!.deniedFields.filter((f) => rest.every((p) => p.deniedFields.includes(f))),
  };
}

/** The union of the roles of a user in several finance products (S6.4). */
export function unionOfGrants(all: readonly ProductGrant[]): Permissions {
  const roles = all.map((g) => permissionsOfRole(g.permissions));
  return Object.fromEntries(
    FINANCE_MODULES.map((m) => [m, unionOfModule(roles.map((r) => r[m]))]),
  ) as Permissions;
}
