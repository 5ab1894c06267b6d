import {
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkerOptions,
} from '@temporalio/worker';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import { createActivities, type ActivityDeps } from '../activities';
import { bundlerLogger } from './logging';

/** Connects the worker side to Temporal with the resolved address and the profile's TLS / API key. */
export async function connectWorker(
  connect: ClientConnectConfig,
  address: string,
): Promise<NativeConnection> {
  return NativeConnection.connect({ ...connect.connectionOptions, address });
}

/**
 * Builds the worker: every workflow (bundled from workflows/index) and every activity over `deps`.
 * `workflowBundle` lets tests bundle once and create many workers. The bundler's report of every module is
 * left out of the logs; its warnings and errors are not.
 */
export async function createWorker(opts: {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  workflowBundle?: WorkerOptions['workflowBundle'];
}): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: createActivities(opts.deps),
    // Shutdown cancels the activities in flight; one that ignores it for this long no longer holds the
    // process (Temporal retries it after its heartbeat timeout, idempotently).
    shutdownForceTime: '30s',
    workflowBundle:
      opts.workflowBundle ??
      (await bundleWorkflowCode({
        workflowsPath: require.resolve('../workflows'),
        logger: bundlerLogger(Runtime.instance().logger),
      })),
  });
}
