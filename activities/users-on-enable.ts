import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { migrationWindowWorkflowId } from '../domain/ids';
import { startsMigrationWindow, type UserOnboarding } from '../domain/users/onboarding';
import type { IntegrationUsersRepository } from '../stores/integration-users';

/*
 * When user migration happens (S6.5, issue 18 item 6), decided where an integration is enabled, once per Books
 * org and recorded (domain/users/onboarding.ts): an existing integration (enabled before, now enabled again)
 * starts its Books org's 3-month window, after which the users who used the finance modules are migrated; a
 * new one starts none, as its users are integration users from the start (api/finance-guard.ts adds each at
 * their first finance action).
 */

export interface IntegrationEnabled {
  integrationId: string;
  crmOrgId: string;
  booksOrgId: string;
  /** Whether this enable found the integration saved already (a re-enable, or a retried first enable). */
  existed: boolean;
}

/**
 * Decides the org's onboarding (recorded before the enable saves the integration, so a retried first enable
 * reads `from_start` again) and starts the org's migration window when it is `migration`. Idempotent: the
 * decision is read back once recorded, and the window by its workflow id — a running window is kept and a
 * finished one is not started again (its migration happened). Called from the enable activity
 * (activities/integration.ts) before its save, so every way of enabling goes through it.
 */
export async function startUserMigrationOnEnable(
  integrationUsers: Pick<IntegrationUsersRepository, 'decideOnboarding'>,
  enabled: IntegrationEnabled,
): Promise<UserOnboarding> {
  const onboarding = await integrationUsers.decideOnboarding(enabled.booksOrgId, enabled.existed);
  if (!startsMigrationWindow(onboarding)) return onboarding;
  const ctx = Context.current();
  try {
    await ctx.client.workflow.start('migrationWindowWorkflow', {
      taskQueue: ctx.info.taskQueue,
      workflowId: migrationWindowWorkflowId(enabled.booksOrgId),
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      args: [
        {
          crmOrgId: enabled.crmOrgId,
          booksOrgId: enabled.booksOrgId,
          integrationId: enabled.integrationId,
          startedAt: new Date().toISOString(),
        },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return onboarding;
}
