import type { Db } from 'mongodb';
import { MONGODB_CAPABILITIES } from '../../../stores/server-capabilities';
import {
  SYNC_STATE_INDEXES,
  createAuditRepository,
  createCursorsRepository,
  createFailuresRepository,
  createIntegrationsRepository,
  createLinksRepository,
  createRunsRepository,
  createSyncStateStore,
} from '../../../stores/sync-state-store';

/*
 * The composition only: what the repositories do is tested against the real server
 * (test/integration/sync-state-store.test.ts). Building a repository sends nothing, so a Db that hands out
 * empty collections is enough to read their method names.
 */
const db = { collection: () => ({}) } as unknown as Db;
const options = { capabilities: MONGODB_CAPABILITIES };

const repositories = {
  integrations: createIntegrationsRepository(db, options),
  links: createLinksRepository(db, options),
  cursors: createCursorsRepository(db, options),
  runs: createRunsRepository(db, options),
  failures: createFailuresRepository(db, options),
  audit: createAuditRepository(db),
};

const methodsOf = (repository: object) => Object.keys(repository).filter((name) => name !== 'ensureIndexes');

describe('createSyncStateStore', () => {
  it('no two repositories name the same method, so the spread hides none of them', () => {
    const owners = new Map<string, string[]>();
    for (const [repository, methods] of Object.entries(repositories).map(
      ([n, r]) => [n, methodsOf(r)] as const,
    ))
      for (const method of methods) owners.set(method, [...(owners.get(method) ?? []), repository]);
    expect([...owners].filter(([, names]) => names.length > 1)).toEqual([]);
  });

  it('has every method of every repository, and one ensureIndexes for them all', () => {
    const store = createSyncStateStore(db, options);
    const expected = Object.values(repositories).flatMap(methodsOf);
    expect(Object.keys(store).sort()).toEqual([...expected, 'ensureIndexes'].sort());
  });
});

describe('SYNC_STATE_INDEXES', () => {
  it('names each index once within its collection', () => {
    const keys = SYNC_STATE_INDEXES.map((spec) => `${spec.collection}.${spec.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
