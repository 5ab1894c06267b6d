import { formatDemoSummary, type DemoSummary } from '../../../cli/demo';

const SUMMARY: DemoSummary = {
  ok: true,
  integrationId: 'crm-1/books-1/production',
  workflowId: 'integration/crm-1/books-1/production',
  crmOrg: 'crm-1',
  booksOrg: 'books-1',
  seeded: { crmRecords: 300, booksRecords: 20, invalid: 1 },
  runs: [
    { runNumber: 1, trigger: 'initial', status: 'completed', added: 301, updated: 0, skipped: 2, failed: 0 },
    { runNumber: 2, trigger: 'instant', status: 'completed', added: 0, updated: 5, skipped: 0, failed: 0 },
  ],
  changes: { crmAccounts: 3, booksItems: 2 },
  pausedSyncRefusal: null,
  openFailures: 0,
  temporal: { address: '127.0.0.1:7233', uiUrl: undefined, server: 'dev server', workflowUrl: undefined },
  mongo: { server: 'ferretdb', databases: ['crm', 'books', 'sync_state'] },
  elapsedMs: 31_600,
  listCommands: [],
  servicesLeftRunning: false,
};

describe('formatDemoSummary', () => {
  it("says each run's counts in words, not symbols", () => {
    const runs = formatDemoSummary(SUMMARY)
      .split('\n')
      .find((line) => line.trimStart().startsWith('runs'));
    expect(runs).toBe(
      '  runs        #1 initial completed (301 added, 0 updated), #2 instant completed (0 added, 5 updated)',
    );
    expect(formatDemoSummary(SUMMARY)).toContain('Demo passed in 32 s');
  });
});
