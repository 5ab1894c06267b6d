import {
  HISTORY_LIMIT,
  historyLine,
  withHistoryEntry,
  type DocumentHistoryEntry,
} from '../../../../../domain/sync/documents/history';

const read = (
  outcome: string,
  changed = false,
  cause: 'timer' | 'books' = 'timer',
): DocumentHistoryEntry => ({
  what: 'follow',
  at: '2026-12-07T10:00:00.000Z',
  outcome,
  changed,
  cause,
  reads: 1,
});
const push: DocumentHistoryEntry = { what: 'push', at: '2026-12-07T09:00:00.000Z', outcome: 'sent' };

describe('a document history', () => {
  it.each<[string, DocumentHistoryEntry[], DocumentHistoryEntry, number, number]>([
    [
      'an unchanged read after an unchanged read of the same status folds in',
      [push, read('sent')],
      read('sent'),
      2,
      2,
    ],
    ['a read that changed the copy gets a line', [push, read('sent')], read('paid', true), 3, 1],
    ['an unchanged read after a changing one gets a line', [read('paid', true)], read('paid'), 2, 1],
    ['another status gets a line', [read('sent')], read('overdue'), 2, 1],
    ['another cause gets a line', [read('sent')], read('sent', false, 'books'), 2, 1],
    ['a push after reads gets a line', [read('sent')], push, 2, 1],
  ])('%s', (_, before, entry, length, lastReads) => {
    const after = withHistoryEntry(before, entry);
    expect(after).toHaveLength(length);
    const last = after[after.length - 1]!;
    expect(last.what === 'follow' ? last.reads : 1).toBe(lastReads);
  });

  it(`keeps the last ${HISTORY_LIMIT} entries`, () => {
    let history: DocumentHistoryEntry[] = [];
    for (let n = 0; n < HISTORY_LIMIT + 5; n++)
      history = withHistoryEntry(history, { ...push, outcome: `s${n}` });
    expect(history).toHaveLength(HISTORY_LIMIT);
    expect(history[0]).toMatchObject({ outcome: 's5' });
  });

  it('prints one line per entry', () => {
    expect(historyLine(push)).toBe('2026-12-07T09:00:00.000Z push sent');
    expect(historyLine({ ...push, outcome: 'refused', detail: 'currency_code: not enabled' })).toBe(
      '2026-12-07T09:00:00.000Z push refused (currency_code: not enabled)',
    );
    expect(
      historyLine({
        what: 'dependency_run',
        at: push.at,
        runId: 'txn/c1/Quotes/q1/deps/r-1',
        outcome: 'completed',
        failures: 0,
      }),
    ).toBe('2026-12-07T09:00:00.000Z dependency run txn/c1/Quotes/q1/deps/r-1 completed, 0 failure(s)');
    expect(
      historyLine({ ...(read('sent') as Extract<DocumentHistoryEntry, { what: 'follow' }>), reads: 3 }),
    ).toBe('2026-12-07T10:00:00.000Z Books read (timer) sent ×3');
    expect(historyLine(read('paid', true, 'books'))).toBe(
      '2026-12-07T10:00:00.000Z Books read (books) paid, CRM copy updated',
    );
  });
});
