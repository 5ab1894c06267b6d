import type { Db } from 'mongodb';
import { z } from 'zod';
import type { BooksRole, BooksUser } from '../domain/books-schemas';
import type { ActingUser } from '../domain/users/access';
import {
  INTEGRATION_ROLE,
  INTEGRATION_USER_TYPE,
  integrationUserIdOf,
  type BooksOrgUsers,
} from '../domain/users/integration-users';
import { FINANCE_PRODUCTS, RolePermissionsSchema, type ProductGrant } from '../domain/users/permissions';
import { onboardingOf, USER_ONBOARDINGS, type UserOnboarding } from '../domain/users/onboarding';
import { DEFAULT_PROFILE, IntegrationProfileSchema, type IntegrationProfile } from '../domain/users/profiles';
import { RecordIdSchema } from '../domain/validation';
import type { BooksStore } from './books-store';
import { createSettingsCollection, type SaveResult } from './record-collection';
import type { StoredRecord } from './record-store';

/*
 * Integration users (S6.1) in the Books store: Books user documents in `books_users` with the role
 * "Integration User (CRM)", `user_type: integration_user` and `can_sign_in: false`, under an id derived from
 * the CRM user id (domain/users/integration-users.ts) so adding twice finds the first write. Beside them, the
 * org's choice of integration-user profile (S6.2) and how its users become integration users
 * (domain/users/onboarding.ts) in `books_integration_settings`.
 */

export const INTEGRATION_SETTINGS_COLLECTION = 'books_integration_settings';

/** Users read per page when an org's users are loaded whole. */
const USERS_PAGE = 5_000;

/** What an integration user's Books document carries beyond a Books user's. */
const IntegrationFieldsSchema = z.looseObject({
  user_type: z.literal(INTEGRATION_USER_TYPE),
  crm_user_id: RecordIdSchema,
  can_sign_in: z.literal(false),
  created_time: z.string().optional(),
  /** The batch (or the admin's add) that made the user one: a re-run of that batch reports it as its own. */
  added_by: z.string().optional(),
});

/** A Books user's roles in the other finance products (S6.4), by role id of the org's roles. */
const OtherRolesSchema = z.looseObject({
  other_product_roles: z
    .array(z.object({ product: z.enum(FINANCE_PRODUCTS), role_id: RecordIdSchema }))
    .max(10)
    .optional(),
});

const RoleWithPermissionsSchema = z.looseObject({ permissions: RolePermissionsSchema.optional() });

const SettingsSchema = z.discriminatedUnion('id', [
  z.strictObject({ id: z.literal('integration_users'), profile: IntegrationProfileSchema }),
  z.strictObject({
    id: z.literal('user_onboarding'),
    onboarding: z.enum(USER_ONBOARDINGS),
    decided_at: z.string(),
  }),
]);

export interface IntegrationUserView {
  crmUserId: string;
  booksUserId: string;
  name: string;
  email: string;
  role: string;
  /** ISO time it was added. */
  since: string;
  /** The batch or request that added it. */
  addedBy?: string | undefined;
}

export interface NewIntegrationUser {
  crmUserId: string;
  name: string;
  email: string;
}

export interface OrgUsers extends BooksOrgUsers {
  integrationUsers: IntegrationUserView[];
}

export interface IntegrationUsersRepository {
  /** Creates the indexes of the settings collection. Idempotent; awaited at start-up. */
  ensureIndexes(): Promise<void>;
  /**
   * How the Books org stands: its Books users' emails, its integration users. One paged read of the org's
   * users (FerretDB scans the collection once per page). Read-only.
   */
  loadOrgUsers(booksOrgId: string): Promise<OrgUsers>;
  /**
   * Writes these users as integration users, skipping any already one (insert-if-absent by derived id; the
   * Books store writes at most 50 per command on FerretDB). Makes sure the role exists. Idempotent: a retry
   * inserts only what the first attempt did not. Fails with the driver's error, to be retried.
   */
  insertIntegrationUsers(
    booksOrgId: string,
    users: readonly NewIntegrationUser[],
    at: Date,
    addedBy: string,
  ): Promise<{ inserted: number; existed: number }>;
  /** Deletes these integration users from the Books org (S6.1: only through the integration). Idempotent. */
  removeIntegrationUsers(booksOrgId: string, crmUserIds: readonly string[]): Promise<number>;
  /** The org's integration users, by name. Read-only. */
  listIntegrationUsers(booksOrgId: string): Promise<IntegrationUserView[]>;
  /**
   * Whether this email may sign in to Books: a live Books user that is not an integration user (the flag the
   * Books store honours: integration users never may).
   */
  maySignIn(booksOrgId: string, email: string): Promise<boolean>;
  getProfile(booksOrgId: string): Promise<IntegrationProfile>;
  /** Selects the org's integration-user profile (S6.2). Idempotent. */
  setProfile(booksOrgId: string, profile: IntegrationProfile): Promise<SaveResult>;
  /** How the org's users become integration users, once decided (domain/users/onboarding.ts). Read-only. */
  getOnboarding(booksOrgId: string): Promise<UserOnboarding | undefined>;
  /**
   * The org's onboarding: the recorded one, else decided from `integrationExisted` and recorded, before the
   * enable saves the integration, so a retried enable reads the same answer. Idempotent once recorded.
   */
  decideOnboarding(booksOrgId: string, integrationExisted: boolean): Promise<UserOnboarding>;
  /** How a CRM user stands in the Books org, for the permission check (domain/users/access.ts). */
  actingUser(
    booksOrgId: string,
    crmUser: { userId: string; name: string; email: string },
  ): Promise<ActingUser>;
}

function integrationViewOf(record: StoredRecord<BooksUser>): IntegrationUserView | undefined {
  const fields = IntegrationFieldsSchema.safeParse(record.data);
  if (record.deleted || !fields.success) return undefined;
  return {
    crmUserId: fields.data.crm_user_id,
    booksUserId: record.id,
    name: record.data.name,
    email: record.data.email,
    role: record.data.user_role ?? INTEGRATION_ROLE.role_name,
    since: fields.data.created_time ?? record.modifiedTime.toISOString(),
    addedBy: fields.data.added_by,
  };
}

/** The grant of one role in one product, its permissions as the role document carries them. */
function grantOf(product: ProductGrant['product'], role: BooksRole | undefined): ProductGrant[] {
  if (!role) return [];
  const permissions = RoleWithPermissionsSchema.parse(role).permissions ?? {};
  return [{ product, roleName: role.role_name, permissions }];
}

/** The MongoDB implementation over the Books store and its `Db`. */
export function createIntegrationUsersRepository(db: Db, books: BooksStore): IntegrationUsersRepository {
  const users = books.module('users');
  const settings = createSettingsCollection(db, {
    name: INTEGRATION_SETTINGS_COLLECTION,
    schema: SettingsSchema,
    idOf: (s) => s.id,
  });

  async function allUsers(org: string): Promise<StoredRecord<BooksUser>[]> {
    const all: StoredRecord<BooksUser>[] = [];
    let cursor = null;
    do {
      const page = await users.findChangedSince(org, cursor, USERS_PAGE);
      all.push(...page.records);
      cursor = page.next;
    } while (cursor !== null);
    return all;
  }

  async function ensureRole(org: string): Promise<void> {
    const roles = await books.listRoles(org);
    if (roles.some((r) => r.role_id === INTEGRATION_ROLE.role_id)) return;
    await books.saveRoles(org, [
      {
        ...INTEGRATION_ROLE,
        description: 'CRM users acting in Books through the integration',
        is_system_role: true,
      },
    ]);
  }

  const repo: IntegrationUsersRepository = {
    ensureIndexes: () => settings.ensureIndexes(),

    async loadOrgUsers(org) {
      const booksUserEmails = new Set<string>();
      const integrationUsers: IntegrationUserView[] = [];
      for (const record of await allUsers(org)) {
        if (record.deleted) continue;
        const view = integrationViewOf(record);
        if (view) integrationUsers.push(view);
        else booksUserEmails.add(record.data.email.toLowerCase());
      }
      return {
        booksUserEmails,
        integrationUserIds: new Set(integrationUsers.map((u) => u.crmUserId)),
        integrationUsers,
      };
    },

    async insertIntegrationUsers(org, added, at, addedBy) {
      if (added.length === 0) return { inserted: 0, existed: 0 };
      await ensureRole(org);
      const ids = added.map((u) => integrationUserIdOf(u.crmUserId));
      const live = new Set((await users.findByIds(org, ids)).filter((r) => !r.deleted).map((r) => r.id));
      const writes = added
        .filter((u) => !live.has(integrationUserIdOf(u.crmUserId)))
        .map((u) => ({
          id: integrationUserIdOf(u.crmUserId),
          data: {
            user_id: integrationUserIdOf(u.crmUserId),
            name: u.name,
            email: u.email,
            status: 'active' as const,
            role_id: INTEGRATION_ROLE.role_id,
            user_role: INTEGRATION_ROLE.role_name,
            user_type: INTEGRATION_USER_TYPE,
            crm_user_id: u.crmUserId,
            can_sign_in: false,
            created_time: at.toISOString(),
            added_by: addedBy,
          },
        }));
      const result = await users.upsertMany(org, writes);
      return { inserted: result.inserted + result.updated, existed: added.length - writes.length };
    },

    async removeIntegrationUsers(org, crmUserIds) {
      const stored = await users.findByIds(org, crmUserIds.map(integrationUserIdOf));
      const ids = stored.filter((r) => integrationViewOf(r) !== undefined).map((r) => r.id);
      return ids.length === 0 ? 0 : users.markDeleted(org, ids);
    },

    async listIntegrationUsers(org) {
      const { integrationUsers } = await repo.loadOrgUsers(org);
      return integrationUsers.sort(
        (a, b) => a.name.localeCompare(b.name) || a.crmUserId.localeCompare(b.crmUserId),
      );
    },

    async maySignIn(org, email) {
      const wanted = email.toLowerCase();
      const user = (await allUsers(org)).find((r) => !r.deleted && r.data.email.toLowerCase() === wanted);
      return user !== undefined && integrationViewOf(user) === undefined && user.data.status === 'active';
    },

    async getProfile(org) {
      const stored = await settings.get(org, 'integration_users');
      return stored?.id === 'integration_users' ? stored.profile : DEFAULT_PROFILE;
    },

    setProfile: (org, profile) => settings.saveMany(org, [{ id: 'integration_users', profile }]),

    async getOnboarding(org) {
      const stored = await settings.get(org, 'user_onboarding');
      return stored?.id === 'user_onboarding' ? stored.onboarding : undefined;
    },

    async decideOnboarding(org, integrationExisted) {
      const recorded = await repo.getOnboarding(org);
      const onboarding = onboardingOf(recorded, integrationExisted);
      if (recorded === undefined)
        await settings.saveMany(org, [
          { id: 'user_onboarding', onboarding, decided_at: new Date().toISOString() },
        ]);
      return onboarding;
    },

    async actingUser(org, crmUser) {
      const base = { userId: crmUser.userId, name: crmUser.name };
      const [stored] = await users.findByIds(org, [integrationUserIdOf(crmUser.userId)]);
      if (stored && integrationViewOf(stored))
        return { kind: 'integration_user', ...base, profile: await repo.getProfile(org) };
      const wanted = crmUser.email.toLowerCase();
      const booksUser = (await allUsers(org)).find(
        (r) => !r.deleted && r.data.status === 'active' && r.data.email.toLowerCase() === wanted,
      );
      if (!booksUser || integrationViewOf(booksUser)) return { kind: 'none', ...base };
      const roles = new Map((await books.listRoles(org)).map((r) => [r.role_id, r]));
      const others = OtherRolesSchema.parse(booksUser.data).other_product_roles ?? [];
      const grants = [
        ...grantOf('books', booksUser.data.role_id ? roles.get(booksUser.data.role_id) : undefined),
        ...others.flatMap((o) => grantOf(o.product, roles.get(o.role_id))),
      ];
      return { kind: 'books_user', ...base, grants, booksUserId: booksUser.id };
    },
  };
  return repo;
}
