import {
  addRunCounts,
  describeRunCounts,
  emptyRunCounts,
  totalRunCounts,
} from '../../../../domain/sync/counts';

describe('run counts', () => {
  const byModule = {
    customers: {
      crm_to_books: { added: 2, matched: 3, updated: 1, unchanged: 40, skipped: 0, failed: 1, deleted: 0 },
      books_to_crm: { added: 0, updated: 3, unchanged: 5, skipped: 2, failed: 0, deleted: 1 },
    },
    items: { books_to_crm: { added: 7, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 } },
  };

  it('sums every module and direction', () => {
    expect(totalRunCounts(byModule)).toEqual({
      added: 9,
      matched: 3,
      updated: 4,
      unchanged: 45,
      skipped: 2,
      failed: 1,
      deleted: 1,
    });
    expect(totalRunCounts({})).toEqual(emptyRunCounts());
  });

  it('adds partial counts as zeros where missing', () => {
    expect(addRunCounts(emptyRunCounts(), { added: 2 })).toEqual({ ...emptyRunCounts(), added: 2 });
  });

  it('describes one line per module and direction', () => {
    expect(describeRunCounts(byModule)).toEqual([
      'customers CRM → Books: 2 added, 3 matched to an existing record, 1 updated, 40 unchanged (already in sync), 0 skipped, 1 failed, 0 deleted at the source',
      'customers Books → CRM: 0 added, 0 matched to an existing record, 3 updated, 5 unchanged (already in sync), 2 skipped, 0 failed, 1 deleted at the source',
      'items Books → CRM: 7 added, 0 matched to an existing record, 0 updated, 0 unchanged (already in sync), 0 skipped, 0 failed, 0 deleted at the source',
    ]);
  });
});
