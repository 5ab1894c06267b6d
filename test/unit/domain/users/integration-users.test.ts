import {
  MAX_INTEGRATION_USERS,
  placesLeft,
  planAdditions,
  selectUsers,
  type BooksOrgUsers,
  type CandidateUser,
} from '../../../../domain/users/integration-users';

/* Who may become an integration user (S6.1), with the reason of each refusal. */

const user = (crmUserId: string, over: Partial<CandidateUser> = {}): CandidateUser => ({
  crmUserId,
  name: `User ${crmUserId}`,
  email: `u${crmUserId}@example.com`,
  active: true,
  ...over,
});
const found = (...users: CandidateUser[]) => new Map(users.map((u) => [u.crmUserId, u]));
const org = (integrationUsers: number, booksEmails: string[] = []): BooksOrgUsers => ({
  booksUserEmails: new Set(booksEmails),
  integrationUserIds: new Set(Array.from({ length: integrationUsers }, (_, i) => `existing-${i}`)),
});

describe('adding CRM users as integration users', () => {
  it.each<[string, CandidateUser | undefined, BooksOrgUsers, string]>([
    ['an unknown user', undefined, org(0), 'no such CRM user'],
    ['an inactive user', user('1', { active: false }), org(0), 'the CRM user is not active'],
    ['a user without an email', user('1', { email: ' ' }), org(0), 'the CRM user has no email address'],
    [
      'a Books user (email compared without case)',
      user('1', { email: 'Ana@Example.com' }),
      org(0, ['ana@example.com']),
      'already a Books user (Ana@Example.com): a Books user cannot be an integration user',
    ],
    [
      'the 1,001st',
      user('1'),
      org(MAX_INTEGRATION_USERS),
      'over the limit of 1,000 integration users per Books org: 0 places left',
    ],
  ])('refuses %s with the reason', (_case, candidate, books, reason) => {
    const outcomes = planAdditions(['1'], candidate ? found(candidate) : new Map(), books);
    expect(outcomes).toEqual([{ crmUserId: '1', outcome: 'refused', reason }]);
  });

  it('adds while places are left and refuses the rest, in request order', () => {
    const outcomes = planAdditions(['a', 'b', 'c'], found(user('a'), user('b'), user('c')), org(998));
    expect(outcomes.map((o) => o.outcome)).toEqual(['added', 'added', 'refused']);
    expect(outcomes[2]).toMatchObject({ reason: expect.stringContaining('0 places left') });
  });

  it('an integration user already is one: nothing to do, and no place taken', () => {
    const books: BooksOrgUsers = { booksUserEmails: new Set(), integrationUserIds: new Set(['a']) };
    expect(planAdditions(['a', 'b', 'a'], found(user('a'), user('b')), books)).toEqual([
      { crmUserId: 'a', outcome: 'already_integration_user' },
      { crmUserId: 'b', outcome: 'added', name: 'User b', email: 'ub@example.com' },
    ]);
  });

  it.each([
    [0, 1000],
    [999, 1],
    [1000, 0],
    [1200, 0],
  ])('an org with %i integration users has %i places left', (count, left) => {
    expect(placesLeft(count)).toBe(left);
  });

  it('says how many places are left in words', () => {
    const outcomes = planAdditions(['a', 'b'], found(user('a'), user('b')), org(999));
    expect(outcomes[1]).toMatchObject({ reason: expect.stringContaining('0 places left') });
  });
});

describe('choosing users by id or by role', () => {
  const users = [
    { crmUserId: '1', roleId: 'sales' },
    { crmUserId: '2', roleId: 'finance' },
    { crmUserId: '3', roleId: 'finance' },
    { crmUserId: '4', roleId: undefined },
  ];

  it.each<[string, Parameters<typeof selectUsers>[1], string[]]>([
    ['by id', { userIds: ['4', '1'] }, ['4', '1']],
    ['by role', { roleIds: ['finance'] }, ['2', '3']],
    ['both, each once, ids first', { userIds: ['3'], roleIds: ['finance', 'sales'] }, ['3', '1', '2']],
    ['neither', {}, []],
  ])('%s', (_case, by, ids) => {
    expect(selectUsers(users, by)).toEqual(ids);
  });
});
