import { Context } from '@temporalio/activity';
import { DOCUMENT_POLLER_WORKFLOW, pollerSignalWithStart } from '../../domain/sync/documents/workflow-start';
import type { IntegrationDoc } from '../../domain/sync-state-schemas';
import type { DocumentDeps } from './types';

export interface StartDocumentPollerInput {
  integrationId: string;
}

export interface StartDocumentPollerResult {
  /** The poller's workflow id when it was started or woken; absent when transaction sync is not on. */
  workflowId?: string;
  /** Why no poller was started. */
  skipped?: string;
}

/**
 * Starts the integration's document poller, or wakes the one running (so a poller about to end on a
 * disable it read just before a re-enable keeps going), when the integration is active with transaction sync
 * on (S4.1). Idempotent: one poller per integration, by its workflow id.
 */
export async function startDocumentPoller(
  deps: DocumentDeps,
  input: StartDocumentPollerInput,
): Promise<StartDocumentPollerResult> {
  const { integration, skipped } = await activeTransactionSync(deps, input.integrationId);
  if (!integration) return { skipped };
  const ctx = Context.current();
  const options = pollerSignalWithStart(integration, ctx.info.taskQueue);
  await ctx.client.workflow.signalWithStart(DOCUMENT_POLLER_WORKFLOW, options);
  return { workflowId: options.workflowId };
}

/**
 * The integration when it is active with transaction sync on, else why not: what starting the poller and
 * restoring the CRM copies both wait for. Read-only.
 */
export async function activeTransactionSync(
  deps: Pick<DocumentDeps, 'syncState'>,
  integrationId: string,
): Promise<
  { integration: IntegrationDoc; skipped?: undefined } | { integration?: undefined; skipped: string }
> {
  const integration = await deps.syncState.getIntegration(integrationId);
  if (!integration) return { skipped: `no integration ${integrationId}` };
  if (integration.status !== 'active') return { skipped: `the integration is ${integration.status}` };
  if (!integration.config.transactionSync) return { skipped: 'transaction sync is off' };
  return { integration };
}
