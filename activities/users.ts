import { Context } from '@temporalio/activity';
import type { CrmUser } from '../domain/crm-schemas';
import { migrationTurnsWorkflowId } from '../domain/ids';
import type { AuditDoc, AuditInput } from '../domain/sync-state-schemas';
import {
  integrationUserIdOf,
  planAdditions,
  type AddOutcome,
  type CandidateUser,
} from '../domain/users/integration-users';
import {
  financeUsersIn,
  migrationOutcomeOf,
  slicesOf,
  type MigrationStatus,
  type UserOutcome,
} from '../domain/users/migration';
import { MIGRATION_TURNS } from '../domain/users/migration-turns';
import type { IntegrationUsersRepository, OrgUsers } from '../stores/integration-users';
import type { RecordCollection } from '../stores/record-store';
import type { AuditQuery } from '../stores/sync-state-store';

/** What the user activities need: the integration users, the CRM's users, the audit log. */
export interface UserDeps {
  integrationUsers: IntegrationUsersRepository;
  crmUsers: Pick<RecordCollection<CrmUser>, 'findByIds'>;
  audit: {
    appendAudit(entries: readonly AuditInput[]): Promise<{ appended: number; duplicates: number }>;
    queryAudit(query: AuditQuery): Promise<AuditDoc[]>;
  };
}

/** Writes per command: FerretDB v1 executes updates one at a time, and MongoDB does not mind. */
const WRITE_SLICE = 50;
/** Audit entries per read of the finance-usage query (the store's largest page). */
const AUDIT_PAGE = 10_000;

export interface MigrateUsersWindowInput {
  crmOrgId: string;
  booksOrgId: string;
  batchId: string;
  userIds: string[];
  /** Who asked for the batch (audit). */
  actorId: string;
}

export interface MigrateUsersWindowResult {
  outcomes: UserOutcome[];
}

export interface FindFinanceUsersInput {
  integrationId?: string;
  /** The window, ISO times: from inclusive, to exclusive. */
  from: string;
  to: string;
}

export interface FindFinanceUsersResult {
  userIds: string[];
}

export interface RecordUserMigrationInput {
  booksOrgId: string;
  batchId: string;
  status: MigrationStatus;
  done: number;
  failed: number;
  remaining: number;
  actorId: string;
}

export interface RequestMigrationTurnInput {
  booksOrgId: string;
  /** The batch asking, and which of its requests this is. */
  workflowId: string;
  turn: number;
  /** Where the org's turns workflow runs when this request starts it. */
  taskQueue: string;
}

function candidateOf(user: CrmUser): CandidateUser {
  return { crmUserId: user.id, name: user.full_name, email: user.email, active: user.status === 'active' };
}

/** load: the window's CRM users and how the Books org stands, one read each. */
async function loadWindow(deps: UserDeps, input: MigrateUsersWindowInput) {
  const [crm, org] = await Promise.all([
    deps.crmUsers.findByIds(input.crmOrgId, input.userIds),
    deps.integrationUsers.loadOrgUsers(input.booksOrgId),
  ]);
  const found = new Map(crm.filter((r) => !r.deleted).map((r) => [r.id, candidateOf(r.data)]));
  return { found, org };
}

/**
 * The outcome of each user for this batch: a user this same batch added before (a retried activity, a re-run
 * batch) reads as migrated by it, as the first attempt said, not as migrated elsewhere.
 */
function outcomesOf(plan: AddOutcome[], org: OrgUsers, batchId: string): UserOutcome[] {
  const addedBy = new Map(org.integrationUsers.map((u) => [u.crmUserId, u.addedBy]));
  return plan.map((add) =>
    add.outcome === 'already_integration_user' && addedBy.get(add.crmUserId) === batchId
      ? { crmUserId: add.crmUserId, outcome: 'migrated' }
      : migrationOutcomeOf(add),
  );
}

/** The audit entries of a window: one per user, with an id per batch and user, so a retry appends nothing. */
function auditOfWindow(input: MigrateUsersWindowInput, outcomes: UserOutcome[], at: Date): AuditInput[] {
  return outcomes.map((o) => ({
    _id: `user-migration|${input.booksOrgId}|${input.batchId}|${o.crmUserId}`,
    at,
    actor: { type: 'workflow', id: input.actorId },
    action: 'user_migration.user',
    entity: 'integration_user',
    payloadIds: [o.crmUserId, integrationUserIdOf(o.crmUserId)],
    outcome: o.outcome === 'failed' ? 'failure' : o.outcome === 'migrated' ? 'success' : 'skipped',
    ...(o.reason !== undefined && { detail: o.reason }),
  }));
}

/**
 * Asks the org's turns workflow for the org on behalf of a batch, starting it if none runs (signal-with-start).
 * Idempotent: a repeated request keeps the batch's place in line. Needs no store, so tests use it as it is.
 */
export async function requestMigrationTurn(input: RequestMigrationTurnInput): Promise<void> {
  await Context.current().client.workflow.signalWithStart(MIGRATION_TURNS.workflowType, {
    workflowId: migrationTurnsWorkflowId(input.booksOrgId),
    taskQueue: input.taskQueue,
    args: [{ booksOrgId: input.booksOrgId }],
    signal: MIGRATION_TURNS.requestSignal,
    signalArgs: [{ workflowId: input.workflowId, turn: input.turn }],
  });
}

export function createUserActivities(deps: UserDeps) {
  return {
    /**
     * Migrates one window of a batch to integration users (S6.5): reads the window's CRM users and the Books
     * org's users once, decides each user with the pure rule (domain/users), inserts the new integration users
     * in commands of 50 (heartbeating between), and audits each user's outcome. Idempotent: ids derived from
     * the CRM user and insert-if-absent, audit ids per batch and user; a retry converges on the same users and
     * entries. A user who cannot be migrated is an outcome with its reason, not a failure of the activity;
     * server errors are thrown for Temporal to retry.
     */
    async migrateUsersWindow(input: MigrateUsersWindowInput): Promise<MigrateUsersWindowResult> {
      const ctx = Context.current();
      const { found, org } = await loadWindow(deps, input);
      ctx.heartbeat();
      const plan = planAdditions(input.userIds, found, org);
      const now = new Date();
      const added = plan.flatMap((p) => (p.outcome === 'added' ? [p] : []));
      for (const slice of slicesOf(added, WRITE_SLICE)) {
        await deps.integrationUsers.insertIntegrationUsers(input.booksOrgId, slice, now, input.batchId);
        ctx.heartbeat();
      }
      const outcomes = outcomesOf(plan, org, input.batchId);
      await deps.audit.appendAudit(auditOfWindow(input, outcomes, now));
      return { outcomes };
    },

    /**
     * The CRM users who used the finance modules in a window, from the audit log (S6.5's automatic
     * migration). Read-only, paged newest first.
     */
    async findFinanceUsers(input: FindFinanceUsersInput): Promise<FindFinanceUsersResult> {
      const entries = new Map<string, AuditDoc>();
      const from = new Date(input.from);
      let to = new Date(input.to);
      for (;;) {
        const page = await deps.audit.queryAudit({
          ...(input.integrationId !== undefined && { integrationId: input.integrationId }),
          from,
          to,
          limit: AUDIT_PAGE,
        });
        const before = entries.size;
        for (const entry of page) entries.set(entry._id, entry);
        if (page.length < AUDIT_PAGE || entries.size === before) break;
        // The next page ends just after the oldest entry read: entries of that same millisecond that did not
        // fit are read again with it (known ones counted once), none is skipped.
        to = new Date(page[page.length - 1]!.at.getTime() + 1);
      }
      return { userIds: financeUsersIn([...entries.values()].reverse()) };
    },

    requestMigrationTurn,

    /** Audits how a batch ended (completed, cancelled). Idempotent: one entry id per batch and status. */
    async recordUserMigration(input: RecordUserMigrationInput): Promise<void> {
      await deps.audit.appendAudit([
        {
          _id: `user-migration|${input.booksOrgId}|${input.batchId}|${input.status}`,
          at: new Date(),
          actor: { type: 'workflow', id: input.actorId },
          action: `user_migration.${input.status}`,
          entity: 'user_migration',
          payloadIds: [input.batchId],
          outcome: input.failed > 0 || input.status === 'cancelled' ? 'failure' : 'success',
          detail: `${input.done} done, ${input.failed} failed, ${input.remaining} remaining`,
        },
      ]);
    },
  };
}
