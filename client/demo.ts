import type pino from 'pino';
import { servicesDown, servicesUp } from '../scripts/services';
import type { LoadedConfig } from '../workers/config';
import { startWorker } from '../workers/service';
import { connectClient, startWiringCheck } from './temporal';

export interface DemoSummary {
  ok: boolean;
  workflowId: string;
  runId: string;
  temporal: { address: string; uiUrl: string | undefined; server: string; workflowUrl: string | undefined };
  mongo: { server: string; database: string };
  rounds: { round: number; writtenAt: string; roundTripMs: number }[];
  elapsedMs: number;
  /** The command that lists this run on the server it ran on. */
  listCommand: string;
  servicesLeftRunning: boolean;
}

/**
 * The one-shot main job: servers up (reused when already up), worker, the wiring-check workflow end to end,
 * and a summary. Later issues grow this into the whole sync story.
 */
export async function runDemo(
  config: LoadedConfig,
  opts: { stopServices: boolean; progress: (line: string) => void; logger: pino.Logger },
): Promise<DemoSummary> {
  const t0 = Date.now();
  opts.progress('Starting the Temporal dev server and the Mongo-wire server (reused if already up)…');
  const endpoints = await servicesUp(config.app, opts.progress);
  opts.progress(`Temporal: ${endpoints.temporal.description}`);
  if (endpoints.temporal.uiUrl) opts.progress(`Temporal UI: ${endpoints.temporal.uiUrl}`);
  opts.progress(`MongoDB:  ${endpoints.mongo.description}`);

  const running = await startWorker(config, endpoints, opts.logger);
  const client = await connectClient({
    connect: config.temporalConnect,
    address: endpoints.temporal.address,
    namespace: config.app.temporal.namespace,
  });
  try {
    const checkId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    opts.progress(
      `Running wiringCheckWorkflow ${checkId}: 2 rounds of MongoDB write/read, 1 s durable timer between…`,
    );
    const handle = await startWiringCheck(client, config.app.temporal.taskQueue, {
      checkId,
      rounds: 2,
      interval: '1s',
    });
    const result = await handle.result();
    const { namespace } = config.app.temporal;
    const { uiUrl } = endpoints.temporal;
    return {
      ok: result.rounds.length === 2,
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      temporal: {
        address: endpoints.temporal.address,
        uiUrl,
        server: endpoints.temporal.description,
        workflowUrl: uiUrl
          ? `${uiUrl}/namespaces/${namespace}/workflows/${encodeURIComponent(handle.workflowId)}/${handle.firstExecutionRunId}/history`
          : undefined,
      },
      mongo: { server: endpoints.mongo.description, database: config.app.mongo.syncDb },
      rounds: result.rounds.map(({ round, writtenAt, roundTripMs }) => ({ round, writtenAt, roundTripMs })),
      elapsedMs: Date.now() - t0,
      listCommand: `temporal workflow list --address ${endpoints.temporal.address} --namespace ${namespace} --query 'WorkflowType="wiringCheckWorkflow"'`,
      servicesLeftRunning: !opts.stopServices,
    };
  } finally {
    await client.connection.close();
    await running.shutdown();
    if (opts.stopServices) await servicesDown(config.app);
  }
}
