import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { subscriptionsSyncWorkflowId } from '../domain/ids';
import { integrationIdOf, type Environment } from '../domain/sync-state-schemas';
import type { subscriptionsSyncWorkflow } from '../workflows/subscriptions-sync';

export interface SubscriptionsSyncStart {
  workflowId: string;
  /** False when the integration's job was already running: one job per integration. */
  started: boolean;
}

/**
 * Starts the job keeping the integration's CRM Subscriptions module current (S7.1) under
 * `subscriptions-sync/{crm}/{books}/{env}`, with its search attributes and a summary for the Temporal UI. A
 * second enable finds the running job and starts none; one that ended (its integration was disabled) may be
 * started again.
 */
export async function startSubscriptionsSync(
  client: Client,
  taskQueue: string,
  input: { crmOrgId: string; booksOrgId: string; environment: Environment; everyMinutes?: number },
): Promise<SubscriptionsSyncStart> {
  const workflowId = subscriptionsSyncWorkflowId(input.crmOrgId, input.booksOrgId, input.environment);
  const integrationId = integrationIdOf(input.crmOrgId, input.booksOrgId, input.environment);
  try {
    await client.workflow.start<typeof subscriptionsSyncWorkflow>('subscriptionsSyncWorkflow', {
      taskQueue,
      workflowId,
      args: [
        { integrationId, ...(input.everyMinutes !== undefined && { everyMinutes: input.everyMinutes }) },
      ],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: `CRM Subscriptions of ${integrationId} following billing`,
      staticDetails:
        'Syncs billing subscriptions into the CRM Subscriptions module, then waits on a durable timer and ' +
        'syncs again until the integration is disabled; its current details say when it last ran.',
      searchAttributes: {
        CrmOrg: [input.crmOrgId],
        BooksOrg: [input.booksOrgId],
        SyncEnv: [input.environment],
        SyncStatus: ['running'],
      },
    });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
