import type { CrmUser } from '../domain/crm-schemas';
import type { AuditInput } from '../domain/sync-state-schemas';
import { integrationIdOf } from '../domain/sync-state-schemas';
import { may, booksUserIdOf, type ActingUser } from '../domain/users/access';
import { FINANCE_MODULE_OF_CRM, actorIdOf, attributed } from '../domain/users/attribution';
import type { UserOutcome } from '../domain/users/migration';
import { addsAtFirstFinanceAction } from '../domain/users/onboarding';
import type { CrmStore } from '../stores/crm-store';
import type { IntegrationUsersRepository } from '../stores/integration-users';
import type { RecordCollection } from '../stores/record-store';
import type { DocumentOperations, WriteDocumentInput } from './documents';
import { createFirstUseAdder, type BatchDeps } from './users';
import { IntegrationRefSchema, OperationError, parseRequest, type IntegrationRef } from './types';

/*
 * Every finance action from the CRM is checked and attributed (S6.3, issue 18 item 4). The document write
 * runs as the acting CRM user — the one its record names as Modified_By (else Created_By): may() decides with
 * their Books permissions; a refusal says who, what and why, writes nothing and is audited; an allowed write
 * stamps the user on the record (and through it on the Books document, domain/users/attribution.ts) and is
 * audited under their name. A new integration's CRM user without a Books role is made an integration user at
 * that first action (domain/users/onboarding.ts). Wraps the document operations, so their own code stays as
 * it is.
 */

export interface FinanceGuardDeps {
  integrationUsers: IntegrationUsersRepository;
  crmUsers: RecordCollection<CrmUser>;
  crm: Pick<CrmStore, 'module'>;
  audit: { appendAudit(entries: readonly AuditInput[]): Promise<unknown> };
  /** Makes a CRM user an integration user now (api/users.ts); without it, nobody is added at first use. */
  addAtFirstUse?: (ref: IntegrationRef, crmUserId: string) => Promise<UserOutcome>;
}

/** Fields that name the record or its users, not what the user changes. */
const NOT_CHANGES = new Set(['id', 'created_by', 'modified_by', 'owner', 'created_time', 'modified_time']);

/** The document operations with each write checked against, and attributed to, the acting CRM user. */
export function guardedDocuments(inner: DocumentOperations, deps: FinanceGuardDeps): DocumentOperations {
  return {
    ...inner,
    async writeDocument(ref, body) {
      return inner.writeDocument(ref, { ...body, record: await authorizedRecord(deps, ref, body) });
    },
  };
}

/**
 * The record as the acting user writes it, or a `forbidden` refusal (audited) naming who, what and why.
 * Read-only but for the audit entry.
 */
async function authorizedRecord(deps: FinanceGuardDeps, raw: IntegrationRef, input: WriteDocumentInput) {
  const ref = parseRequest(IntegrationRefSchema, raw, 'integration');
  const module = FINANCE_MODULE_OF_CRM[input.module];
  const actorId = actorIdOf(input.record);
  if (!module) return input.record; // not a finance module: the write operation refuses it itself
  if (actorId === undefined)
    throw new OperationError('invalid', 'a finance document names who writes it', [
      'record.Modified_By: the acting CRM user ({"id": …}) is required',
    ]);
  const [crmUser] = await deps.crmUsers.findByIds(ref.crmOrgId, [actorId]);
  if (!crmUser || crmUser.deleted)
    throw new OperationError('unauthorized', `no CRM user ${actorId} in CRM org ${ref.crmOrgId}`);
  const user = { userId: crmUser.id, name: crmUser.data.full_name, email: crmUser.data.email };
  const acting = await actingUserOf(deps, ref, user);
  const [stored] = await deps.crm.module(input.module).findByIds(ref.crmOrgId, [input.record.id]);
  const existing = stored && !stored.deleted ? (stored.data as Record<string, unknown>) : undefined;
  const fields = Object.keys(input.record)
    .map((f) => f.toLowerCase())
    .filter((f) => !NOT_CHANGES.has(f));
  const decision = may(acting, existing ? 'edit' : 'create', module, fields);
  const audit = (outcome: 'success' | 'failure', detail: string) =>
    deps.audit.appendAudit([
      {
        at: new Date(),
        actor: { type: 'user', id: user.userId, name: user.name },
        integrationId: integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment ?? 'production'),
        action: `finance.${existing ? 'edit' : 'create'}`,
        entity: module,
        payloadIds: [input.record.id],
        outcome,
        detail,
      },
    ]);
  if (!decision.allowed) {
    const message = `${decision.who} may not ${decision.what}: ${decision.why}`;
    await audit('failure', `refused: ${message}`);
    throw new OperationError('forbidden', message);
  }
  await audit('success', `${decision.who}: ${decision.what}`);
  const actor = { id: user.userId, name: user.name, email: user.email, books_user_id: booksUserIdOf(acting) };
  return attributed(input.record, actor, existing) as WriteDocumentInput['record'];
}

/**
 * How the CRM user stands in the Books org. One without a Books role, in an org whose users are integration
 * users from the start, is made one now; if that is refused (over the limit, no email, …) they stay without a
 * role and the reason goes with them into the refusal.
 */
async function actingUserOf(
  deps: FinanceGuardDeps,
  ref: IntegrationRef,
  user: { userId: string; name: string; email: string },
): Promise<ActingUser> {
  const acting = await deps.integrationUsers.actingUser(ref.booksOrgId, user);
  if (acting.kind !== 'none' || !deps.addAtFirstUse) return acting;
  if (!addsAtFirstFinanceAction(await deps.integrationUsers.getOnboarding(ref.booksOrgId))) return acting;
  const added = await deps.addAtFirstUse(ref, user.userId);
  if (added.outcome === 'failed') return { ...acting, notAdded: added.reason ?? 'refused' };
  return deps.integrationUsers.actingUser(ref.booksOrgId, user);
}

/**
 * The guard's stores, from the composition root's deps (workers/deps.ts), and where the batches that add a
 * user at their first finance action run (none: nobody is added at first use).
 */
export function financeGuardDepsOf(
  deps: {
    integrationUsers: IntegrationUsersRepository;
    crmStore: CrmStore;
    syncState: FinanceGuardDeps['audit'];
  },
  batches?: BatchDeps,
): FinanceGuardDeps {
  return {
    integrationUsers: deps.integrationUsers,
    crmUsers: deps.crmStore.users,
    crm: deps.crmStore,
    audit: deps.syncState,
    ...(batches && { addAtFirstUse: createFirstUseAdder(batches) }),
  };
}
