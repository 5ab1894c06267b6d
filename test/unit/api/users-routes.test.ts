import { matchRoute } from '../../../api/http';
import type { SyncOperations } from '../../../api/types';
import type { UserOperations } from '../../../api/users';

/* The user routes are mounted in the HTTP API and reach the user operations with their parameters. */

const BASE = '/integrations/crm-1/books-1/production';
const REF = { crmOrgId: 'crm-1', booksOrgId: 'books-1', environment: 'production' };

function recordingOps() {
  const calls: unknown[][] = [];
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      calls.push([name, ...args]);
      return { name };
    };
  const users = new Proxy({} as UserOperations, { get: (_t, name) => record(String(name)) });
  return { ops: { users } as unknown as SyncOperations, calls };
}

describe('user routes', () => {
  it.each<[string, string, unknown, unknown[]]>([
    ['GET', `${BASE}/users`, undefined, ['listUsers', REF]],
    ['POST', `${BASE}/users`, { userIds: ['u1'] }, ['addUsers', REF, { userIds: ['u1'] }]],
    ['POST', `${BASE}/users/remove`, { userIds: ['u1'] }, ['removeUsers', REF, { userIds: ['u1'] }]],
    ['PUT', `${BASE}/users/profile`, { profile: 'x' }, ['setProfile', REF, { profile: 'x' }]],
    [
      'POST',
      `${BASE}/users/permission-check`,
      { crmUserId: 'u1' },
      ['checkPermission', REF, { crmUserId: 'u1' }],
    ],
    ['POST', `${BASE}/user-migrations`, { batchId: 'b' }, ['startMigration', REF, { batchId: 'b' }]],
    ['GET', `${BASE}/user-migrations/b%201`, undefined, ['migrationProgress', REF, 'b 1']],
    ['POST', `${BASE}/user-migrations/b/pause`, undefined, ['pauseMigration', REF, 'b']],
    ['POST', `${BASE}/user-migrations/b/resume`, undefined, ['resumeMigration', REF, 'b']],
    ['POST', `${BASE}/user-migrations/b/cancel`, undefined, ['cancelMigration', REF, 'b']],
    ['POST', `${BASE}/user-migration-window`, undefined, ['startMigrationWindow', REF]],
    ['POST', `${BASE}/user-migration-window/migrate-now`, undefined, ['migrateNow', REF]],
  ])('%s %s', async (method, path, body, call) => {
    const match = matchRoute(method, path);
    if (!match.route) throw new Error(`no route for ${method} ${path}`);
    const { ops, calls } = recordingOps();
    await match.route.handle(ops, { params: match.params, query: {}, body });
    expect(calls).toEqual([call]);
  });

  it('answers unavailable where the user operations are not composed', async () => {
    const match = matchRoute('GET', `${BASE}/users`);
    if (!match.route) throw new Error('no route');
    const ctx = { params: match.params, query: {}, body: undefined };
    const { route } = match;
    await expect((async () => route.handle({} as SyncOperations, ctx))()).rejects.toMatchObject({
      kind: 'unavailable',
    });
  });
});
