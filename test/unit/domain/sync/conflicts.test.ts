import { reconcile, type ReconcileInput, type Reconciliation } from '../../../../domain/sync/conflicts';
import type { FieldOwner, FieldValues } from '../../../../domain/sync/field-maps';

const EARLY = '2024-06-01T10:00:00.000Z';
const LATE = '2024-06-01T11:00:00.000Z';

/** One field, three-way: what both sides held after the last sync, and what they hold now. */
function one(
  owner: FieldOwner,
  base: { crm: unknown; books: unknown } | null,
  crm: unknown,
  books: unknown,
  times: { crm?: string | null; books?: string | null } = {},
  initialWinner: 'crm' | 'books' = 'crm',
): Reconciliation {
  const v = (x: unknown): FieldValues => (x === undefined ? {} : { F: x as FieldValues[string] });
  return reconcile({
    fields: [{ field: 'F', owner }],
    crm: v(crm),
    books: v(books),
    base: base ? { crm: v(base.crm), books: v(base.books) } : null,
    initialWinner,
    crmModified: times.crm === undefined ? EARLY : times.crm,
    booksModified: times.books === undefined ? EARLY : times.books,
  });
}

type Where = 'toBooks' | 'toCrm' | 'none';
const where = (r: Reconciliation): Where =>
  r.toBooks.includes('F') ? 'toBooks' : r.toCrm.includes('F') ? 'toCrm' : 'none';

describe('reconcile, three-way per field (S9.5)', () => {
  const base = { crm: 'A', books: 'A' };

  it.each<[string, FieldOwner, unknown, unknown, Where]>([
    ['nothing changed', 'latest', 'A', 'A', 'none'],
    ['only the CRM changed', 'latest', 'B', 'A', 'toBooks'],
    ['only the CRM changed, Books-owned field', 'books', 'B', 'A', 'toBooks'],
    ['only Books changed', 'latest', 'A', 'B', 'toCrm'],
    ['only Books changed, CRM-owned field', 'crm', 'A', 'B', 'toCrm'],
    ['both changed to the same value', 'latest', 'B', 'B', 'none'],
    ['both changed to the same value, CRM-owned', 'crm', 'B', 'B', 'none'],
    ['both changed, CRM-owned', 'crm', 'B', 'C', 'toBooks'],
    ['both changed, Books-owned', 'books', 'B', 'C', 'toCrm'],
    ['the CRM emptied the field', 'latest', null, 'A', 'toBooks'],
    ['Books emptied the field', 'latest', 'A', null, 'toCrm'],
    ['the CRM changed and Books emptied (a tie: CRM)', 'latest', 'X', null, 'toBooks'],
  ])('%s (owner %s): crm %j, books %j → %s', (_what, owner, crm, books, expected) => {
    expect(where(one(owner, base, crm, books))).toBe(expected);
  });

  it('a field filled on one side from an empty base flows to the other', () => {
    expect(where(one('latest', { crm: null, books: null }, 'X', null))).toBe('toBooks');
    expect(where(one('latest', { crm: null, books: null }, null, 'X'))).toBe('toCrm');
  });

  it('undefined and missing values count as null', () => {
    expect(where(one('latest', { crm: null, books: null }, undefined, null))).toBe('none');
    expect(where(one('latest', { crm: undefined, books: undefined }, 'X', undefined))).toBe('toBooks');
  });

  it('both still as last synced, though apart, moves nothing', () => {
    expect(where(one('latest', { crm: 'A', books: 'B' }, 'A', 'B'))).toBe('none');
  });

  it('compares structured values by content, not key order', () => {
    const r = one('latest', { crm: { a: 1, b: 2 }, books: { a: 1, b: 2 } }, { b: 2, a: 1 }, { a: 1, b: 2 });
    expect(r).toEqual({ toBooks: [], toCrm: [], conflicts: [] });
  });

  describe('conflicts', () => {
    it.each<[FieldOwner, 'crm' | 'books']>([
      ['crm', 'crm'],
      ['books', 'books'],
    ])('owner %s wins whatever the times', (owner, winner) => {
      for (const times of [
        { crm: EARLY, books: LATE },
        { crm: LATE, books: EARLY },
      ]) {
        const r = one(owner, { crm: 'A', books: 'A' }, 'B', 'C', times);
        expect(r.conflicts).toEqual([{ field: 'F', crm: 'B', books: 'C', winner, rule: owner }]);
        expect(where(r)).toBe(winner === 'crm' ? 'toBooks' : 'toCrm');
      }
    });

    it.each<[string, string | null, string | null, 'crm' | 'books']>([
      ['the CRM changed later', LATE, EARLY, 'crm'],
      ['Books changed later', EARLY, LATE, 'books'],
      ['a tie', EARLY, EARLY, 'crm'],
      ['same instant, different offsets', '2024-06-01T12:00:00+02:00', '2024-06-01T10:00:00Z', 'crm'],
      ['Books later by offset only', '2024-06-01T12:00:00+02:00', '2024-06-01T10:00:01Z', 'books'],
      ['Zoho Books offset without a colon', '2024-06-01T10:00:00Z', '2024-06-01T04:00:00-0700', 'books'],
      ['no CRM time', null, EARLY, 'books'],
      ['no Books time', EARLY, null, 'crm'],
      ['no time at all', null, null, 'crm'],
      ['an unparseable Books time', EARLY, 'yesterday-ish', 'crm'],
    ])('latest: %s → %s', (_what, crmTime, booksTime, winner) => {
      const r = one('latest', { crm: 'A', books: 'A' }, 'B', 'C', { crm: crmTime, books: booksTime });
      expect(r.conflicts).toEqual([{ field: 'F', crm: 'B', books: 'C', winner, rule: 'latest' }]);
      expect(where(r)).toBe(winner === 'crm' ? 'toBooks' : 'toCrm');
    });

    it('no conflict is reported when only one side changed', () => {
      expect(one('crm', { crm: 'A', books: 'A' }, 'A', 'B').conflicts).toEqual([]);
      expect(one('books', { crm: 'A', books: 'A' }, 'B', 'A').conflicts).toEqual([]);
    });
  });

  describe('never synced (base null)', () => {
    it.each<['crm' | 'books', Where]>([
      ['crm', 'toBooks'],
      ['books', 'toCrm'],
    ])('initialWinner %s takes every differing field', (winner, expected) => {
      expect(where(one('latest', null, 'A', 'B', {}, winner))).toBe(expected);
      expect(where(one('books', null, 'A', null, {}, winner))).toBe(expected);
      expect(where(one('crm', null, null, 'B', {}, winner))).toBe(expected);
    });

    it('equal fields move nowhere and raise no conflict', () => {
      expect(one('latest', null, 'A', 'A', {}, 'books')).toEqual({ toBooks: [], toCrm: [], conflicts: [] });
    });
  });

  it('decides many fields independently, each in at most one list, in field order', () => {
    const input: ReconcileInput = {
      fields: [
        { field: 'Same', owner: 'latest' },
        { field: 'CrmOnly', owner: 'latest' },
        { field: 'BooksOnly', owner: 'crm' },
        { field: 'BothCrm', owner: 'crm' },
        { field: 'BothBooks', owner: 'books' },
        { field: 'BothLatest', owner: 'latest' },
        { field: 'Converged', owner: 'books' },
      ],
      crm: {
        Same: 1,
        CrmOnly: 'new',
        BooksOnly: 'old',
        BothCrm: 'c',
        BothBooks: 'c',
        BothLatest: 'c',
        Converged: 'z',
      },
      books: {
        Same: 1,
        CrmOnly: 'old',
        BooksOnly: 'new',
        BothCrm: 'b',
        BothBooks: 'b',
        BothLatest: 'b',
        Converged: 'z',
      },
      base: {
        crm: {
          Same: 1,
          CrmOnly: 'old',
          BooksOnly: 'old',
          BothCrm: 'o',
          BothBooks: 'o',
          BothLatest: 'o',
          Converged: 'o',
        },
        books: {
          Same: 1,
          CrmOnly: 'old',
          BooksOnly: 'old',
          BothCrm: 'o',
          BothBooks: 'o',
          BothLatest: 'o',
          Converged: 'o',
        },
      },
      initialWinner: 'crm',
      crmModified: EARLY,
      booksModified: LATE,
    };
    const r = reconcile(input);
    expect(r.toBooks).toEqual(['CrmOnly', 'BothCrm']);
    expect(r.toCrm).toEqual(['BooksOnly', 'BothBooks', 'BothLatest']);
    expect(r.conflicts.map((c) => [c.field, c.winner, c.rule])).toEqual([
      ['BothCrm', 'crm', 'crm'],
      ['BothBooks', 'books', 'books'],
      ['BothLatest', 'books', 'latest'],
    ]);
    expect(r.toBooks.filter((f) => r.toCrm.includes(f))).toEqual([]);
  });

  it('reads the base per side (a field left apart by the last step)', () => {
    // The last step left F apart: the CRM base is 'c0', the Books base 'b0'. Now only Books moved on.
    const r = reconcile({
      fields: [{ field: 'F', owner: 'latest' }],
      crm: { F: 'c0' },
      books: { F: 'b1' },
      base: { crm: { F: 'c0' }, books: { F: 'b0' } },
      initialWinner: 'crm',
      crmModified: LATE,
      booksModified: EARLY,
    });
    expect(r).toEqual({ toBooks: [], toCrm: ['F'], conflicts: [] });
  });
});
