import { randomUUID } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { z } from 'zod';
import type { CrmUser } from '../domain/crm-schemas';
import { migrationWindowWorkflowId, userMigrationWorkflowId } from '../domain/ids';
import type { AuditInput } from '../domain/sync-state-schemas';
import { integrationIdOf } from '../domain/sync-state-schemas';
import { may, type AccessDecision } from '../domain/users/access';
import { placesLeft, selectUsers } from '../domain/users/integration-users';
import { batchProblem, type MigrationProgress, type UserOutcome } from '../domain/users/migration';
import { firstUseBatchId } from '../domain/users/onboarding';
import { FINANCE_ACTIONS, FINANCE_MODULES } from '../domain/users/permissions';
import { IntegrationProfileSchema, type IntegrationProfile } from '../domain/users/profiles';
import type { IntegrationUsersRepository, IntegrationUserView } from '../stores/integration-users';
import type { RecordCollection } from '../stores/record-store';
import type { userMigrationWorkflow } from '../workflows/user-migration';
import type { migrationWindowWorkflow } from '../workflows/user-migration-window';
import {
  migrateNowSignal,
  migrationWindowQuery,
  pauseMigrationSignal,
  resumeMigrationSignal,
  userMigrationProgressQuery,
  type MigrationWindowState,
} from '../workflows/messages';
import type { Route } from './http';
import {
  IdSchema,
  IntegrationRefSchema,
  OperationError,
  operationGroup,
  parseRequest,
  type IntegrationRef,
} from './types';
import { createWorkflowCalls, timedOut, type CallWaits, type WorkflowCalls } from './workflow-calls';

/*
 * Integration users and their migration (issue 18) as operations: list, add (by user or role), remove, the
 * org's profile, the permission check, migration batches (start, progress, pause, resume, cancel) and the
 * org's 3-month window. The same operations back the HTTP routes below, the CLI (cli/users-commands.ts) and
 * the typed client (client/users-client.ts). Adding users runs a one-window migration batch, so an admin's add
 * and a migration share one rule, one write path and one audit.
 */

const ActorSchema = z.strictObject({ id: z.string().min(1).max(300), name: z.string().max(200).optional() });

export const AddUsersInputSchema = z
  .strictObject({
    userIds: z.array(IdSchema).max(1000).optional(),
    roleIds: z.array(IdSchema).max(100).optional(),
    actor: ActorSchema.optional(),
  })
  .refine((i) => (i.userIds?.length ?? 0) + (i.roleIds?.length ?? 0) > 0, 'name userIds or roleIds');
export type AddUsersInput = z.input<typeof AddUsersInputSchema>;

export const RemoveUsersInputSchema = z.strictObject({
  userIds: z.array(IdSchema).min(1).max(1000),
  actor: ActorSchema.optional(),
});
export type RemoveUsersInput = z.input<typeof RemoveUsersInputSchema>;

export const StartMigrationInputSchema = z
  .strictObject({
    batchId: IdSchema,
    userIds: z.array(IdSchema).max(100_000).optional(),
    roleIds: z.array(IdSchema).max(100).optional(),
    windowSize: z.number().int().min(1).max(1000).optional(),
    actor: ActorSchema.optional(),
  })
  .refine((i) => (i.userIds?.length ?? 0) + (i.roleIds?.length ?? 0) > 0, 'name userIds or roleIds');
export type StartMigrationInput = z.input<typeof StartMigrationInputSchema>;

export const PermissionCheckSchema = z.strictObject({
  crmUserId: IdSchema,
  action: z.enum(FINANCE_ACTIONS),
  module: z.enum(FINANCE_MODULES),
  fields: z.array(z.string().min(1).max(100)).max(200).optional(),
});
export type PermissionCheckInput = z.input<typeof PermissionCheckSchema>;

export interface IntegrationUsersView {
  booksOrgId: string;
  profile: IntegrationProfile;
  placesLeft: number;
  users: IntegrationUserView[];
}

export interface StartedMigration {
  workflowId: string;
  batchId: string;
  total: number;
}

export interface UserOperations {
  listUsers(ref: IntegrationRef): Promise<IntegrationUsersView>;
  /** Adds CRM users as integration users and waits for the outcome of each (a one-window batch). */
  addUsers(ref: IntegrationRef, input: AddUsersInput): Promise<MigrationProgress>;
  removeUsers(ref: IntegrationRef, input: RemoveUsersInput): Promise<{ removed: number }>;
  setProfile(ref: IntegrationRef, input: { profile: string }): Promise<{ profile: IntegrationProfile }>;
  checkPermission(ref: IntegrationRef, input: PermissionCheckInput): Promise<AccessDecision>;
  startMigration(ref: IntegrationRef, input: StartMigrationInput): Promise<StartedMigration>;
  migrationProgress(ref: IntegrationRef, batchId: string): Promise<MigrationProgress>;
  pauseMigration(ref: IntegrationRef, batchId: string): Promise<MigrationProgress>;
  resumeMigration(ref: IntegrationRef, batchId: string): Promise<MigrationProgress>;
  cancelMigration(ref: IntegrationRef, batchId: string): Promise<{ cancelled: true }>;
  /** Starts the org's 3-month window (idempotent: a running window is kept). */
  startMigrationWindow(ref: IntegrationRef): Promise<MigrationWindowState>;
  /** Ends the window now: the admin's early migration. */
  migrateNow(ref: IntegrationRef): Promise<MigrationWindowState>;
}

export interface UserOperationsDeps {
  temporal: Client;
  taskQueue: string;
  waits?: Partial<CallWaits>;
  integrationUsers: IntegrationUsersRepository;
  crmUsers: RecordCollection<CrmUser>;
  audit: { appendAudit(entries: readonly AuditInput[]): Promise<unknown> };
}

/** The store side of the user operations, from the composition root's deps (workers/deps.ts). */
export function userDepsOf(deps: {
  integrationUsers: IntegrationUsersRepository;
  crmStore: { users: RecordCollection<CrmUser> };
  syncState: UserOperationsDeps['audit'];
}): Pick<UserOperationsDeps, 'integrationUsers' | 'crmUsers' | 'audit'> {
  return { integrationUsers: deps.integrationUsers, crmUsers: deps.crmStore.users, audit: deps.syncState };
}

/** Where batches started by an operation run. */
export type BatchDeps = Pick<UserOperationsDeps, 'temporal' | 'taskQueue' | 'waits'>;

interface BatchStart {
  batchId: string;
  userIds: string[];
  actorId: string;
  windowSize?: number;
  /** Join the batch of this id when it runs already, instead of refusing (a one-user first-use batch). */
  joinRunning?: boolean;
}

/** Starts a batch, refusing one of more than 1,000 users with the guidance to split it. */
async function startMigrationBatch(
  deps: BatchDeps,
  calls: WorkflowCalls,
  ref: IntegrationRef,
  start: BatchStart,
) {
  const problem = batchProblem(start.userIds);
  if (problem) throw new OperationError('invalid', problem, [`userIds: ${problem}`]);
  await calls.requireWorker();
  const workflowId = userMigrationWorkflowId(ref.booksOrgId, start.batchId);
  try {
    return await deps.temporal.workflow.start<typeof userMigrationWorkflow>('userMigrationWorkflow', {
      taskQueue: deps.taskQueue,
      workflowId,
      ...(start.joinRunning && { workflowIdConflictPolicy: 'USE_EXISTING' as const }),
      args: [
        {
          crmOrgId: ref.crmOrgId,
          booksOrgId: ref.booksOrgId,
          batchId: start.batchId,
          userIds: start.userIds,
          actorId: start.actorId,
          ...(start.windowSize !== undefined && { windowSize: start.windowSize }),
        },
      ],
      searchAttributes: { BooksOrg: [ref.booksOrgId], SyncStatus: ['running'] },
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError)
      throw new OperationError('conflict', `batch ${start.batchId} is already running (${workflowId})`);
    throw err;
  }
}

/** How a batch an operation waits for ended; its failure as a conflict saying why. */
async function batchResult(handle: WorkflowHandleWithFirstExecutionRunId<typeof userMigrationWorkflow>) {
  try {
    return await handle.result();
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    throw new OperationError('conflict', `adding users failed: ${err.cause?.message ?? err.message}`);
  }
}

/**
 * Makes a CRM user an integration user now: a new integration's user at their first finance action
 * (domain/users/onboarding.ts). Runs the one-user batch `first-use-{crmUserId}` and waits for its outcome, so
 * the user takes the org's turn like any batch and the 1,000 limit holds; the batch audits the outcome with
 * the reason of a refusal. Idempotent: a concurrent action of the same user joins the running batch, a later
 * one re-runs it (finding the user migrated, or trying again where it was refused).
 */
/** How long a finance action waits for its user's first-use batch before answering that it still runs. */
const FIRST_USE_WAIT_MS = 30_000;

export function createFirstUseAdder(deps: BatchDeps) {
  const calls = createWorkflowCalls(deps);
  return async (ref: IntegrationRef, crmUserId: string): Promise<UserOutcome> => {
    const batchId = firstUseBatchId(crmUserId);
    const handle = await startMigrationBatch(deps, calls, ref, {
      batchId,
      userIds: [crmUserId],
      actorId: crmUserId,
      joinRunning: true,
    });
    // Bounded: the batch waits for the org's turn, and a finance action must answer rather than hang
    // behind another batch or a missing worker. The batch goes on; the user's next action joins it.
    const result = await deps.temporal
      .withDeadline(Date.now() + FIRST_USE_WAIT_MS, () => batchResult(handle))
      .catch((err: unknown) => {
        if (!timedOut(err)) throw err;
        throw new OperationError(
          'unavailable',
          `making CRM user ${crmUserId} an integration user (batch ${batchId}) is still waiting after ` +
            `${FIRST_USE_WAIT_MS / 1000} s, for the Books org's turn or a worker; try again shortly`,
        );
      });
    const [outcome] = result.outcomes;
    return outcome ?? { crmUserId, outcome: 'failed', reason: `batch ${batchId} decided nothing` };
  };
}

/** CRM users read per page when users are chosen by role. */
const CRM_USERS_PAGE = 5_000;

export function createUserOperations(deps: UserOperationsDeps): UserOperations {
  const calls = createWorkflowCalls(deps);
  const refOf = (ref: IntegrationRef) => parseRequest(IntegrationRefSchema, ref, 'integration');
  const actorId = (actor: { id: string } | undefined) => actor?.id ?? 'admin';

  /** The CRM user ids named, or holding one of the roles: one paged read of the org's users for roles. */
  async function chosenUsers(crmOrgId: string, by: { userIds?: string[]; roleIds?: string[] }) {
    if (!by.roleIds?.length) return selectUsers([], by);
    const users: { crmUserId: string; roleId: string | undefined }[] = [];
    let cursor = null;
    do {
      const page = await deps.crmUsers.findChangedSince(crmOrgId, cursor, CRM_USERS_PAGE);
      for (const r of page.records)
        if (!r.deleted) users.push({ crmUserId: r.id, roleId: r.data.role?.id ?? undefined });
      cursor = page.next;
    } while (cursor !== null);
    return selectUsers(users, by);
  }

  const batchHandle = (ref: IntegrationRef, batchId: string) =>
    deps.temporal.workflow.getHandle(
      userMigrationWorkflowId(ref.booksOrgId, parseRequest(IdSchema, batchId, 'batch id')),
    );

  const startBatch = (ref: IntegrationRef, batchId: string, userIds: string[], input: StartMigrationInput) =>
    startMigrationBatch(deps, calls, ref, {
      batchId,
      userIds,
      actorId: actorId(input.actor),
      ...(input.windowSize !== undefined && { windowSize: input.windowSize }),
    });

  async function progressOf(ref: IntegrationRef, batchId: string): Promise<MigrationProgress> {
    try {
      return await calls.query(batchHandle(ref, batchId), userMigrationProgressQuery);
    } catch (err) {
      throw notFound(err, `no migration batch ${batchId} for Books org ${ref.booksOrgId}`);
    }
  }

  /** Signals a running batch (pause, resume) and answers its progress after. */
  async function signalBatch(ref: IntegrationRef, batchId: string, signal: SignalDefinition) {
    await batchHandle(ref, batchId)
      .signal(signal)
      .catch((err: unknown) => {
        throw notFound(err, `no migration batch ${batchId} is running`);
      });
    return progressOf(ref, batchId);
  }

  const windowHandle = (ref: IntegrationRef) =>
    deps.temporal.workflow.getHandle(migrationWindowWorkflowId(ref.booksOrgId));

  return {
    async listUsers(raw) {
      const ref = refOf(raw);
      const [users, profile] = await Promise.all([
        deps.integrationUsers.listIntegrationUsers(ref.booksOrgId),
        deps.integrationUsers.getProfile(ref.booksOrgId),
      ]);
      return { booksOrgId: ref.booksOrgId, profile, placesLeft: placesLeft(users.length), users };
    },

    async addUsers(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(AddUsersInputSchema, body, 'users to add');
      const userIds = await chosenUsers(ref.crmOrgId, input);
      const batchId = `add-${randomUUID()}`;
      return batchResult(await startBatch(ref, batchId, userIds, { ...input, batchId, windowSize: 1000 }));
    },

    async removeUsers(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(RemoveUsersInputSchema, body, 'users to remove');
      const removed = await deps.integrationUsers.removeIntegrationUsers(ref.booksOrgId, input.userIds);
      await deps.audit.appendAudit([
        {
          at: new Date(),
          actor: { type: 'user', id: actorId(input.actor) },
          integrationId: integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment ?? 'production'),
          action: 'integration_users.removed',
          entity: 'integration_user',
          payloadIds: input.userIds,
          outcome: 'success',
          detail: `${removed} removed from Books org ${ref.booksOrgId}`,
        },
      ]);
      return { removed };
    },

    async setProfile(raw, body) {
      const ref = refOf(raw);
      const { profile } = parseRequest(
        z.strictObject({ profile: IntegrationProfileSchema }),
        body,
        'profile',
      );
      await deps.integrationUsers.setProfile(ref.booksOrgId, profile);
      return { profile };
    },

    async checkPermission(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(PermissionCheckSchema, body, 'permission check');
      const [crmUser] = await deps.crmUsers.findByIds(ref.crmOrgId, [input.crmUserId]);
      if (!crmUser || crmUser.deleted)
        throw new OperationError('not_found', `no CRM user ${input.crmUserId} in CRM org ${ref.crmOrgId}`);
      const acting = await deps.integrationUsers.actingUser(ref.booksOrgId, {
        userId: crmUser.id,
        name: crmUser.data.full_name,
        email: crmUser.data.email,
      });
      return may(acting, input.action, input.module, input.fields ?? []);
    },

    async startMigration(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(StartMigrationInputSchema, body, 'migration batch');
      const userIds = await chosenUsers(ref.crmOrgId, input);
      const handle = await startBatch(ref, input.batchId, userIds, input);
      return { workflowId: handle.workflowId, batchId: input.batchId, total: new Set(userIds).size };
    },

    migrationProgress: (raw, batchId) => progressOf(refOf(raw), batchId),

    pauseMigration: (raw, batchId) => signalBatch(refOf(raw), batchId, pauseMigrationSignal),
    resumeMigration: (raw, batchId) => signalBatch(refOf(raw), batchId, resumeMigrationSignal),

    async cancelMigration(raw, batchId) {
      const ref = refOf(raw);
      await batchHandle(ref, batchId)
        .cancel()
        .catch((err: unknown) => {
          throw notFound(err, `no migration batch ${batchId} is running`);
        });
      return { cancelled: true };
    },

    async startMigrationWindow(raw) {
      const ref = refOf(raw);
      await calls.requireWorker();
      const startedAt = new Date().toISOString();
      try {
        await deps.temporal.workflow.start<typeof migrationWindowWorkflow>('migrationWindowWorkflow', {
          taskQueue: deps.taskQueue,
          workflowId: migrationWindowWorkflowId(ref.booksOrgId),
          args: [
            {
              crmOrgId: ref.crmOrgId,
              booksOrgId: ref.booksOrgId,
              integrationId: integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment ?? 'production'),
              startedAt,
            },
          ],
          searchAttributes: { BooksOrg: [ref.booksOrgId] },
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      return calls.query(windowHandle(ref), migrationWindowQuery);
    },

    async migrateNow(raw) {
      const ref = refOf(raw);
      await windowHandle(ref)
        .signal(migrateNowSignal)
        .catch((err: unknown) => {
          throw notFound(err, `no migration window is running for Books org ${ref.booksOrgId}`);
        });
      return calls.query(windowHandle(ref), migrationWindowQuery);
    },
  };
}

/** A workflow that does not exist as not_found with this message; other errors as they are. */
function notFound(err: unknown, message: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof WorkflowNotFoundError || code === 5 ? new OperationError('not_found', message) : err;
}

// ---------------------------------------------------------------------------------------------------------
// HTTP routes (mounted in api/http.ts)

const INTEGRATION = ['integrations', ':crmOrgId', ':booksOrgId', ':environment'] as const;
const at = (...rest: string[]): readonly string[] => [...INTEGRATION, ...rest];

/** The user operations of `ops`; refused as unavailable where the composition root did not provide them. */
export function usersOf(ops: { users?: UserOperations | undefined }): UserOperations {
  return operationGroup(ops, 'users', 'user');
}

const refFrom = (p: Record<string, string>): IntegrationRef => ({
  crmOrgId: p.crmOrgId!,
  booksOrgId: p.booksOrgId!,
  environment: p.environment as IntegrationRef['environment'],
});

/** The routes of the user operations (README "HTTP API"). */
export const USER_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: at('users'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => usersOf(ops).listUsers(refFrom(params)),
  },
  {
    method: 'POST',
    path: at('users'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => usersOf(ops).addUsers(refFrom(params), body as AddUsersInput),
  },
  {
    method: 'POST',
    path: at('users', 'remove'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => usersOf(ops).removeUsers(refFrom(params), body as RemoveUsersInput),
  },
  {
    method: 'PUT',
    path: at('users', 'profile'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) => usersOf(ops).setProfile(refFrom(params), body as { profile: string }),
  },
  {
    method: 'POST',
    path: at('users', 'permission-check'),
    body: 'object',
    query: [],
    handle: (ops, { params, body }) =>
      usersOf(ops).checkPermission(refFrom(params), body as PermissionCheckInput),
  },
  {
    method: 'POST',
    path: at('user-migrations'),
    body: 'object',
    query: [],
    status: 202,
    handle: (ops, { params, body }) =>
      usersOf(ops).startMigration(refFrom(params), body as StartMigrationInput),
  },
  {
    method: 'GET',
    path: at('user-migrations', ':batchId'),
    body: 'none',
    query: [],
    handle: (ops, { params }) => usersOf(ops).migrationProgress(refFrom(params), params.batchId!),
  },
  ...(['pause', 'resume', 'cancel'] as const).map((action): Route => ({
    method: 'POST',
    path: at('user-migrations', ':batchId', action),
    body: 'optional',
    query: [],
    handle: (ops, { params }) => {
      const users = usersOf(ops);
      const ref = refFrom(params);
      const batchId = params.batchId!;
      if (action === 'pause') return users.pauseMigration(ref, batchId);
      if (action === 'resume') return users.resumeMigration(ref, batchId);
      return users.cancelMigration(ref, batchId);
    },
  })),
  {
    method: 'POST',
    path: at('user-migration-window'),
    body: 'optional',
    query: [],
    handle: (ops, { params }) => usersOf(ops).startMigrationWindow(refFrom(params)),
  },
  {
    method: 'POST',
    path: at('user-migration-window', 'migrate-now'),
    body: 'optional',
    query: [],
    handle: (ops, { params }) => usersOf(ops).migrateNow(refFrom(params)),
  },
];
