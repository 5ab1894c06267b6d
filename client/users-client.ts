import type { IntegrationRef, UserOperations } from '../api/types';

/*
 * The user operations (api/users.ts) over the HTTP API: the `users` member of createSyncClient's
 * SyncOperations, sending through its `call` (same errors: a refusal throws an OperationError with the
 * server's kind, message and issues).
 */

/** createSyncClient's request function. */
export type HttpCall = <T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  options?: { query?: object | undefined; body?: unknown },
) => Promise<T>;

export function createUsersClient(call: HttpCall, base: (ref: IntegrationRef) => string): UserOperations {
  const batch = (ref: IntegrationRef, batchId: string) =>
    `${base(ref)}/user-migrations/${encodeURIComponent(batchId)}`;
  return {
    listUsers: async (ref) => call('GET', `${base(ref)}/users`),
    addUsers: async (ref, input) => call('POST', `${base(ref)}/users`, { body: input }),
    removeUsers: async (ref, input) => call('POST', `${base(ref)}/users/remove`, { body: input }),
    setProfile: async (ref, input) => call('PUT', `${base(ref)}/users/profile`, { body: input }),
    checkPermission: async (ref, input) =>
      call('POST', `${base(ref)}/users/permission-check`, { body: input }),
    startMigration: async (ref, input) => call('POST', `${base(ref)}/user-migrations`, { body: input }),
    migrationProgress: async (ref, batchId) => call('GET', batch(ref, batchId)),
    pauseMigration: async (ref, batchId) => call('POST', `${batch(ref, batchId)}/pause`),
    resumeMigration: async (ref, batchId) => call('POST', `${batch(ref, batchId)}/resume`),
    cancelMigration: async (ref, batchId) => call('POST', `${batch(ref, batchId)}/cancel`),
    startMigrationWindow: async (ref) => call('POST', `${base(ref)}/user-migration-window`),
    migrateNow: async (ref) => call('POST', `${base(ref)}/user-migration-window/migrate-now`),
  };
}
