import { z } from 'zod';
import { FINANCE_MODULES, type ModulePermission, type Permissions } from './permissions';

/*
 * The profiles of integration users (S6.2): the default one creates, views and edits in all four finance
 * modules; the older one, still selectable per Books org, has estimates in full and the rest view-only.
 */

export const INTEGRATION_PROFILES = ['finance_default', 'estimates_legacy'] as const;
export const IntegrationProfileSchema = z.enum(INTEGRATION_PROFILES);
export type IntegrationProfile = z.infer<typeof IntegrationProfileSchema>;

export const DEFAULT_PROFILE: IntegrationProfile = 'finance_default';

const EDITOR: ModulePermission = {
  view: true,
  create: true,
  edit: true,
  delete: false,
  approvalRequired: false,
  deniedFields: [],
};
const FULL: ModulePermission = { ...EDITOR, delete: true };
const VIEWER: ModulePermission = { ...EDITOR, create: false, edit: false };

const everyModule = (perm: ModulePermission) =>
  Object.fromEntries(FINANCE_MODULES.map((m) => [m, perm])) as Permissions;

const PROFILE_PERMISSIONS: Record<IntegrationProfile, Permissions> = {
  finance_default: everyModule(EDITOR),
  estimates_legacy: { ...everyModule(VIEWER), estimates: FULL },
};

/** A profile's permissions in the four finance modules. */
export function permissionsOfProfile(profile: IntegrationProfile): Permissions {
  return PROFILE_PERMISSIONS[profile];
}

/** How a profile reads in a table. */
export const PROFILE_LABELS: Record<IntegrationProfile, string> = {
  finance_default: 'create, view and edit in all finance modules',
  estimates_legacy: 'estimates in full, other finance modules view-only',
};
