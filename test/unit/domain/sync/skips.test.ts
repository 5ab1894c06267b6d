import { newPageResult } from '../../../../domain/sync/decide';
import { SKIP_REASONS, countSkips, describeSkips } from '../../../../domain/sync/skips';

describe('skip reasons: every skip says why, counted by reason', () => {
  const decisions = [
    { skip: 'not_in_view' as const },
    { skip: 'duplicate_exists' as const },
    { skip: 'not_in_view' as const },
    {},
  ];

  it('counts the reasons met, in the order of the reasons', () => {
    expect(countSkips(decisions)).toEqual({ not_in_view: 2, duplicate_exists: 1 });
    expect(Object.keys(countSkips(decisions))).toEqual(['not_in_view', 'duplicate_exists']);
    expect(countSkips([])).toEqual({});
  });

  it('describes them in words', () => {
    expect(describeSkips(countSkips(decisions))).toBe(
      `2 ${SKIP_REASONS.not_in_view}; 1 ${SKIP_REASONS.duplicate_exists}`,
    );
  });

  it('refuses a skip without a reason (a programming error, caught by every decide test)', () => {
    const { decide } = newPageResult();
    expect(() => decide({ recordId: 'r1', outcome: 'skipped' })).toThrow('skipped r1 without a reason');
    expect(() => decide({ recordId: 'r2', outcome: 'skipped', skip: 'no_account' })).not.toThrow();
  });
});
