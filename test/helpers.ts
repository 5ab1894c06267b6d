import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import { testWorkflowBundle } from './setup/workflow-bundle';

/** A name unique to this test, for workflow ids, task queues and databases. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The time-skipping environment on the cached test-server binary (else the SDK's download). */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.CBS_TEST_SERVER_PATH;
  return TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
}

/** How long a test worker's shutdown may wait for its activities before it gives up with an error. */
const WORKER_SHUTDOWN_FORCE_MS = 10_000;

export interface TimeSkippingSuite {
  /** The file's environment (set once its beforeAll has run). */
  readonly env: TestWorkflowEnvironment;
  /** A worker on the environment running this project's workflows; stopped before the environment is. */
  worker(options: Omit<WorkerOptions, 'connection' | 'workflowsPath'>): Promise<Worker>;
}

/**
 * One time-skipping environment for a test file, and the workers its tests create on it.
 *
 * A test that times out leaves its `worker.runUntil` behind with the worker still polling. Were the
 * environment then torn down under it, the worker would poll a dead server for ever and keep jest's process
 * alive after the last test. So afterAll first stops every worker still running (each gives up on its
 * activities after a bounded time instead of waiting on a held one for ever), then tears the server down.
 */
export function useTimeSkippingEnv(
  setup?: (env: TestWorkflowEnvironment) => Promise<void>,
  options: { perTest?: boolean } = {},
): TimeSkippingSuite {
  let env: TestWorkflowEnvironment | undefined;
  const workers = new Set<Worker>();
  // perTest: a server of its own for every test (a second or two each), so nothing one test leaves on the
  // server — such as the time-skipping lock an activity open at its workflow's close leaks, sdk-java#1138 —
  // can stall the next one.
  const [before, after] = options.perTest ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    env = await createTimeSkippingEnv();
    await setup?.(env);
  }, 120_000);
  after(async () => {
    await Promise.all([...workers].map(stopWorker));
    workers.clear();
    await env?.teardown();
    env = undefined;
  }, WORKER_SHUTDOWN_FORCE_MS + 60_000);
  return {
    get env() {
      if (!env) throw new Error('the time-skipping environment is not up yet (use it inside a test)');
      return env;
    },
    async worker(options) {
      if (!env) throw new Error('the time-skipping environment is not up yet (use it inside a test)');
      const worker = await Worker.create({
        shutdownForceTime: WORKER_SHUTDOWN_FORCE_MS,
        ...options,
        connection: env.nativeConnection,
        workflowBundle: await testWorkflowBundle(),
      });
      workers.add(worker);
      return worker;
    },
  };
}

/** Asks a worker still running to shut down and waits until it has stopped (or failed to). */
async function stopWorker(worker: Worker): Promise<void> {
  if (worker.getState() === 'RUNNING') worker.shutdown();
  const deadline = Date.now() + WORKER_SHUTDOWN_FORCE_MS + 5_000;
  while (!['STOPPED', 'FAILED', 'INITIALIZED'].includes(worker.getState()) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
}

/** Endpoints the integration global setup started (or that the environment supplied). */
export function integrationEndpoints(): { temporalAddress: string; mongoUri: string } {
  const temporalAddress = process.env.CBS_TEST_TEMPORAL_ADDRESS;
  const mongoUri = process.env.CBS_TEST_MONGODB_URI;
  if (!temporalAddress || !mongoUri)
    throw new Error('integration servers are not up: run through `npm test`');
  return { temporalAddress, mongoUri };
}
