import { formatRun } from '../../../cli/integration-commands';
import { emptyRunCounts } from '../../../domain/sync/counts';
import { SKIP_REASONS } from '../../../domain/sync/skips';

const run = {
  runId: 'int_1#7',
  runNumber: 7,
  trigger: 'periodic',
  status: 'completed',
  startedTime: '2026-12-07T10:00:00.000Z',
  endedTime: '2026-12-07T10:00:09.000Z',
  failureCount: 0,
  counts: { customers: { crm_to_books: { ...emptyRunCounts(), added: 4, matched: 2, skipped: 3 } } },
  failures: [],
  skipped: {
    total: 3,
    byReason: { not_in_view: 2, duplicate_exists: 1 },
    reasons: { not_in_view: SKIP_REASONS.not_in_view, duplicate_exists: SKIP_REASONS.duplicate_exists },
    records: [
      { module: 'customers', direction: 'crm_to_books', recordId: 'a1', reason: 'not_in_view' },
      { module: 'customers', direction: 'crm_to_books', recordId: 'a2', reason: 'not_in_view' },
      {
        module: 'customers',
        direction: 'crm_to_books',
        recordId: 'a3',
        reason: 'duplicate_exists',
        detail: 'duplicate exists (policy: skip)',
      },
    ],
  },
};

describe('integrations run <n>: counts that explain themselves (issue 15)', () => {
  it('shows matched apart from added, and the skips counted by reason in words', () => {
    const text = formatRun(run);
    expect(text).toMatch(/matched/);
    expect(text).toContain('Skipped (3), by reason:');
    expect(text).toMatch(new RegExp(`2\\s+${SKIP_REASONS.not_in_view.replace(/[()]/g, '\\$&')}`));
    expect(text).toContain('(list them with --skipped)');
    expect(text).not.toContain('a3');
  });

  it('lists the skipped records with their reasons and details under --skipped', () => {
    const text = formatRun(run, true);
    expect(text).toContain('Skipped records (3):');
    expect(text).toMatch(/a3\s+duplicate_exists\s+duplicate exists \(policy: skip\)/);
    expect(text).not.toContain('--skipped');
  });
});
