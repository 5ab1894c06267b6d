import type { temporal } from '@temporalio/proto';
import {
  Client,
  Connection,
  WithStartWorkflowOperation,
  WorkflowIdReusePolicy,
  WorkflowUpdateStage,
  type WorkflowHandle,
  type WorkflowUpdateHandle,
} from '@temporalio/client';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import { integrationWorkflowId, wiringCheckWorkflowId } from '../domain/ids';
import type { IntegrationWorkflowInput, integrationWorkflow } from '../workflows/integration';
import {
  enableUpdate,
  wiringCheckProgressQuery,
  type EnableRequest,
  type EnableResult,
  type WiringCheckProgress,
} from '../workflows/messages';
import type { WiringCheckInput, WiringCheckResult } from '../workflows/wiring-check';

/** A Temporal client for services: the resolved address plus the profile's TLS / API key and namespace. */
export async function connectClient(opts: {
  connect: ClientConnectConfig;
  address: string;
  namespace: string;
}): Promise<Client> {
  const connection = await Connection.connect({ ...opts.connect.connectionOptions, address: opts.address });
  return new Client({ connection, namespace: opts.namespace });
}

/**
 * Starts the wiring check under its deterministic id. Starting the same checkId twice while it runs returns
 * the running one's handle instead of a second execution.
 */
export async function startWiringCheck(client: Client, taskQueue: string, input: WiringCheckInput) {
  const workflowId = wiringCheckWorkflowId(input.checkId);
  return client.workflow.start<(i: WiringCheckInput) => Promise<WiringCheckResult>>('wiringCheckWorkflow', {
    taskQueue,
    workflowId,
    args: [input],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Wiring check ${input.checkId}: ${input.rounds ?? 1} MongoDB write/read round(s)`,
  });
}

/** The progress of a running or finished wiring check. */
export async function wiringCheckProgress(client: Client, checkId: string): Promise<WiringCheckProgress> {
  return client.workflow.getHandle(wiringCheckWorkflowId(checkId)).query(wiringCheckProgressQuery);
}

/**
 * The number of history events of each execution of a workflow, following its continue-as-new chain from the
 * first run: how operators check that long runs keep their histories small.
 */
export async function historyLengths(
  client: Client,
  workflowId: string,
  firstRunId: string,
): Promise<number[]> {
  const lengths: number[] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const history: temporal.api.history.v1.IHistory = await client.workflow
      .getHandle(workflowId, runId)
      .fetchHistory();
    const events: temporal.api.history.v1.IHistoryEvent[] = history.events ?? [];
    lengths.push(events.length);
    runId =
      events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ??
      undefined;
  }
  return lengths;
}

/** The integration's entity workflow, by its deterministic id. */
export function integrationHandle(
  client: Client,
  ref: { crmOrgId: string; booksOrgId: string; environment: string },
): WorkflowHandle<typeof integrationWorkflow> {
  return client.workflow.getHandle(integrationWorkflowId(ref.crmOrgId, ref.booksOrgId, ref.environment));
}

/**
 * Enables an integration: starts its entity workflow if it is not running (with its search attributes and a
 * summary for the Temporal UI) and sends the `enable` update in the same call. Returns once a worker has
 * taken the update (validated it); its handle's result is the outcome — or the refusal. Enabling again after
 * a disable reaches the running workflow. Bound the wait with `client.withDeadline`: no worker, no answer.
 */
export async function startEnableIntegration(
  client: Client,
  taskQueue: string,
  request: EnableRequest,
): Promise<WorkflowUpdateHandle<EnableResult>> {
  const input: IntegrationWorkflowInput = {
    crmOrgId: request.crmOrgId,
    booksOrgId: request.booksOrgId,
    environment: request.environment,
  };
  const start = new WithStartWorkflowOperation<typeof integrationWorkflow>('integrationWorkflow', {
    taskQueue,
    workflowId: integrationWorkflowId(request.crmOrgId, request.booksOrgId, request.environment),
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Integration CRM ${request.crmOrgId} ↔ Books ${request.booksOrgId} (${request.environment})`,
    staticDetails:
      'Entity workflow: the periodic sync, instant syncs and one sync run at a time as child workflows. ' +
      'Its current details give the state, the periodic interval in force and the next run; query ' +
      'integrationStatus for all of it.',
    searchAttributes: {
      CrmOrg: [request.crmOrgId],
      BooksOrg: [request.booksOrgId],
      SyncEnv: [request.environment],
    },
  });
  return client.workflow.startUpdateWithStart(enableUpdate, {
    args: [request],
    waitForStage: WorkflowUpdateStage.ACCEPTED,
    startWorkflowOperation: start,
  });
}
