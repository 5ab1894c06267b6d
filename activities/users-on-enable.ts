import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { migrationWindowWorkflowId } from '../domain/ids';

/*
 * When user migration happens (S6.5, issue 18 item 6), decided where an integration is enabled: an existing
 * integration (enabled before, now enabled again) starts its Books org's 3-month window, after which the users
 * who used the finance modules are migrated; a new one starts none, as its users are integration users from
 * the start (api/finance-guard.ts adds them at their first finance action).
 */

export interface IntegrationEnabled {
  integrationId: string;
  crmOrgId: string;
  booksOrgId: string;
  /** Whether the integration existed before this enable. */
  existed: boolean;
}

/**
 * Starts the org's migration window for an existing integration. Idempotent by the window's workflow id: a
 * running window is kept and a finished one is not started again (its migration happened). Called from the
 * enable activity (activities/integration.ts), so every way of enabling goes through it.
 */
export async function startUserMigrationOnEnable(enabled: IntegrationEnabled): Promise<void> {
  if (!enabled.existed) return;
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
}
