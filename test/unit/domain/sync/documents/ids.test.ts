import { documentPollerWorkflowId, documentSyncWorkflowId } from '../../../../../domain/ids';
import {
  DEPENDENCY_RUN_NUMBERS_FROM,
  dependencyRunId,
  dependencyRunNumber,
} from '../../../../../domain/sync/documents/dependency-runs';

describe('document workflow ids', () => {
  it('are txn/{crmOrg}/{module}/{id} and txn-poller/{integrationId}', () => {
    expect(documentSyncWorkflowId('c1', 'Invoices', 'inv-1')).toBe('txn/c1/Invoices/inv-1');
    expect(documentPollerWorkflowId('c1/b1/production')).toBe('txn-poller/c1/b1/production');
  });

  it.each(['', 'a/b', '$where'])('refuse the unsafe id %j', (id) => {
    expect(() => documentSyncWorkflowId('c1', 'Quotes', id)).toThrow('crmId');
  });
});

describe('dependency run numbers', () => {
  const runId = dependencyRunId('txn/c1/Quotes/q1', '0f8e2c3a-9d', 1);

  it('are the same for the same run, apart from the integration workflow runs, and safe integers', () => {
    expect(runId).toBe('txn/c1/Quotes/q1/deps/0f8e2c3a-1');
    expect(dependencyRunNumber(runId)).toBe(dependencyRunNumber(runId));
    expect(dependencyRunNumber(runId)).toBeGreaterThanOrEqual(DEPENDENCY_RUN_NUMBERS_FROM);
    expect(Number.isSafeInteger(dependencyRunNumber(runId))).toBe(true);
  });

  it('differ between runs', () => {
    const numbers = new Set(
      Array.from({ length: 1000 }, (_, n) =>
        dependencyRunNumber(dependencyRunId('txn/c1/Quotes/q1', 'r', n)),
      ),
    );
    expect(numbers.size).toBe(1000);
  });
});
