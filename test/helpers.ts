import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';

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

/** Endpoints the integration global setup started (or that the environment supplied). */
export function integrationEndpoints(): { temporalAddress: string; mongoUri: string } {
  const temporalAddress = process.env.CBS_TEST_TEMPORAL_ADDRESS;
  const mongoUri = process.env.CBS_TEST_MONGODB_URI;
  if (!temporalAddress || !mongoUri)
    throw new Error('integration servers are not up: run through `npm test`');
  return { temporalAddress, mongoUri };
}
