import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../workers/config';
import { createDeps } from '../../workers/deps';
import { createWorker } from '../../workers/worker';
import { testWorkflowBundle } from '../setup/workflow-bundle';

/*
 * A worker in a process of its own, through the production wiring, for tests that kill it with SIGKILL: the
 * databases come from CBS_CRM_DB / CBS_BOOKS_DB / CBS_SYNC_DB, the servers from CBS_TEST_MONGODB_URI and
 * CBS_TEST_TEMPORAL_ADDRESS, the task queue from CBS_WORKER_TASK_QUEUE. Prints "worker running" once it polls.
 */

async function main(): Promise<void> {
  const env = process.env;
  const config = loadConfig({ ...env, TEMPORAL_ADDRESS: '' });
  const deps = await createDeps({ ...config.app.mongo, uri: env.CBS_TEST_MONGODB_URI! });
  const connection = await NativeConnection.connect({ address: env.CBS_TEST_TEMPORAL_ADDRESS! });
  const worker = await createWorker({
    connection,
    namespace: 'default',
    taskQueue: env.CBS_WORKER_TASK_QUEUE!,
    deps,
    // The jest run's bundle (inherited through the environment), so the process starts without bundling.
    workflowBundle: await testWorkflowBundle(),
  });
  const running = worker.run();
  process.stdout.write('worker running\n');
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
