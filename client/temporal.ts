import type { temporal } from '@temporalio/proto';
import { Client, Connection, WorkflowIdReusePolicy } from '@temporalio/client';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import { wiringCheckWorkflowId } from '../domain/ids';
import { wiringCheckProgressQuery, type WiringCheckProgress } from '../workflows/messages';
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
