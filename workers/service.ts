import { Runtime, type NativeConnection, type Worker } from '@temporalio/worker';
import type pino from 'pino';
import type { Endpoints } from '../scripts/services';
import type { LoadedConfig } from './config';
import { createDeps, type Deps } from './deps';
import { FORWARD_CORE_LOGS, temporalLogger } from './logging';
import { ensureSearchAttributes } from './search-attributes';
import { connectWorker, createWorker } from './worker';

let runtimeInstalled = false;

/** Routes the SDK's logs into our logger; the Runtime can be installed once per process. */
export function installRuntime(logger: pino.Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    // Signals are handled by our own commands, so Ctrl-C drains the worker and then stops the servers.
    Runtime.install({
      logger: temporalLogger(logger),
      telemetryOptions: FORWARD_CORE_LOGS,
      shutdownSignals: [],
    });
  } catch {
    // Already installed by the embedding process (a test harness): keep its logger.
  }
}

export interface RunningWorker {
  worker: Worker;
  deps: Deps;
  /** Settles when the worker has stopped (after `shutdown()` or a fatal error). */
  done: Promise<void>;
  /** Drains in-flight tasks, then closes the Temporal and MongoDB connections. Idempotent. */
  shutdown(): Promise<void>;
}

/** Connects to both servers and starts the worker polling its task queue. */
export async function startWorker(
  config: LoadedConfig,
  endpoints: Endpoints,
  logger: pino.Logger,
): Promise<RunningWorker> {
  installRuntime(logger);
  await ensureSearchAttributes({
    connect: config.temporalConnect,
    address: endpoints.temporal.address,
    namespace: config.app.temporal.namespace,
    logger,
  });
  const deps = await createDeps({ ...config.app.mongo, uri: endpoints.mongo.uri });
  let connection: NativeConnection | undefined;
  try {
    connection = await connectWorker(config.temporalConnect, endpoints.temporal.address);
    const worker = await createWorker({
      connection,
      namespace: config.app.temporal.namespace,
      taskQueue: config.app.temporal.taskQueue,
      deps,
    });
    const conn = connection;
    const done = worker.run().finally(async () => {
      await conn.close();
      await deps.close();
    });
    let stopping: Promise<void> | undefined;
    return {
      worker,
      deps,
      done,
      shutdown() {
        stopping ??= (async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await done;
        })();
        return stopping;
      },
    };
  } catch (err) {
    await connection?.close();
    await deps.close();
    throw err;
  }
}
