import { migrationWindowWorkflowId, userMigrationWorkflowId } from '../../../../domain/ids';
import {
  batchProblem,
  financeUsersIn,
  migrationDetails,
  migrationOutcomeOf,
  migrationWindowEnd,
  progressOf,
  slicesOf,
  windowSizeOf,
  windowSummary,
  type UsageEntry,
} from '../../../../domain/users/migration';

/* The rules of the user-migration batch (S6.5) and of its 3-month window. */

describe('a migration batch', () => {
  it.each<[string, number, string | undefined]>([
    ['no users', 0, 'the batch names no users'],
    ['one user', 1, undefined],
    ['1,000 users', 1000, undefined],
    [
      '1,001 users',
      1001,
      'a batch takes at most 1,000 users, this one has 1,001: split it into 2 batches of up to 1,000',
    ],
  ])('with %s: %s', (_case, count, problem) => {
    expect(batchProblem(Array.from({ length: count }, (_, i) => `u${i}`))).toBe(problem);
  });

  it('counts a repeated user once', () => {
    expect(batchProblem([...Array.from({ length: 1000 }, (_, i) => `u${i}`), 'u0'])).toBeUndefined();
  });

  it('is one workflow per org and batch; an id part that is not safe is refused', () => {
    expect(userMigrationWorkflowId('books-1', 'b-2026-12')).toBe('user-migration/books-1/b-2026-12');
    expect(migrationWindowWorkflowId('books-1')).toBe('user-migration-window/books-1');
    expect(() => userMigrationWorkflowId('books/1', 'b')).toThrow(/booksOrgId must be/);
    expect(() => userMigrationWorkflowId('o', '')).toThrow(/batchId must be/);
  });

  it.each([
    [undefined, 200],
    [1, 10],
    [50, 50],
    [5000, 1000],
    [Number.NaN, 200],
  ])('asked for windows of %s users, runs windows of %i', (asked, size) => {
    expect(windowSizeOf(asked)).toBe(size);
  });

  it('is cut into windows', () => {
    expect(slicesOf([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(slicesOf([], 2)).toEqual([]);
  });

  it.each([
    [
      { crmUserId: 'a', outcome: 'added', name: 'A', email: 'a@x' } as const,
      { crmUserId: 'a', outcome: 'migrated' },
    ],
    [
      { crmUserId: 'a', outcome: 'already_integration_user' } as const,
      { crmUserId: 'a', outcome: 'already_migrated' },
    ],
    [
      { crmUserId: 'a', outcome: 'refused', reason: 'no email' } as const,
      { crmUserId: 'a', outcome: 'failed', reason: 'no email' },
    ],
  ])("a user's outcome %#", (add, outcome) => {
    expect(migrationOutcomeOf(add)).toEqual(outcome);
  });

  it('reports its progress and shows it in the current details', () => {
    const progress = progressOf({
      booksOrgId: 'o',
      batchId: 'b',
      status: 'running',
      total: 1200,
      windows: 6,
      windowsDone: 2,
      outcomes: [
        ...Array.from({ length: 399 }, (_, i) => ({ crmUserId: `u${i}`, outcome: 'migrated' as const })),
        { crmUserId: 'u399', outcome: 'failed', reason: 'the CRM user has no email address' },
      ],
    });
    expect(progress).toMatchObject({ done: 399, failed: 1, remaining: 800 });
    expect(migrationDetails(progress)).toBe(
      'Migrating users: window 3 of 6 · 399 done, 1 failed, 800 remaining of 1,200\n' +
        '- u399: the CRM user has no email address',
    );
    expect(migrationDetails({ ...progress, status: 'paused' })).toMatch(/^Paused · 399 done/);
    expect(windowSummary(200, 200, 1200)).toBe('users 201–400 of 1,200');
  });
});

describe('the 3-month window', () => {
  it.each([
    ['2026-01-15T09:00:00.000Z', '2026-04-15T09:00:00.000Z'],
    ['2026-11-30T00:00:00.000Z', '2027-02-28T00:00:00.000Z'],
    ['2027-11-30T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['2026-10-31T23:59:59.000Z', '2027-01-31T23:59:59.000Z'],
  ])('that starts at %s ends at %s', (start, end) => {
    expect(migrationWindowEnd(start)).toBe(end);
  });

  it('refuses a time that is not one', () => {
    expect(() => migrationWindowEnd('soon')).toThrow('not an ISO time: "soon"');
  });

  it('finds the users who used the finance modules, refused attempts included, each once', () => {
    const entries: UsageEntry[] = [
      { actor: { type: 'user', id: 'ana' }, entity: 'invoices', outcome: 'success' },
      { actor: { type: 'user', id: 'bo' }, entity: 'accounts', outcome: 'success' },
      { actor: { type: 'workflow', id: 'sync' }, entity: 'invoices', outcome: 'success' },
      { actor: { type: 'user', id: 'cy' }, entity: 'purchaseorders', outcome: 'refused' },
      { actor: { type: 'user', id: 'ana' }, entity: 'estimates', outcome: 'success' },
      { actor: { type: 'user', id: 'di' }, outcome: 'success' },
    ];
    expect(financeUsersIn(entries)).toEqual(['ana', 'cy']);
  });
});
