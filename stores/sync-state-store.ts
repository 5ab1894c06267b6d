import type { Db } from 'mongodb';
import type { StoreOptions } from './server-capabilities';
import { createAuditRepository, AUDIT_INDEXES, type AuditRepository } from './sync-state/audit';
import type { CollectionIndexSpec } from './sync-state/common';
import { createCursorsRepository, CURSOR_INDEXES, type CursorsRepository } from './sync-state/cursors';
import { createFailuresRepository, FAILURE_INDEXES, type FailuresRepository } from './sync-state/failures';
import {
  createIntegrationsRepository,
  INTEGRATION_INDEXES,
  type IntegrationsRepository,
} from './sync-state/integrations';
import { createLinksRepository, LINK_INDEXES, type LinksRepository } from './sync-state/links';
import { createRunsRepository, RUN_INDEXES, type RunsRepository } from './sync-state/runs';

/*
 * The sync-state database as one object, for the callers that use much of it: the composition of its
 * repositories (stores/sync-state/, one per collection, each with its interface, MongoDB implementation and
 * indexes). A caller that needs one or two collections depends on their repositories instead.
 */

export { SyncStateNotFoundError, type CollectionIndexSpec } from './sync-state/common';
export * from './sync-state/audit';
export * from './sync-state/cursors';
export * from './sync-state/failures';
export * from './sync-state/integrations';
export * from './sync-state/links';
export * from './sync-state/runs';
export type { AuditDoc, FailureDoc, IntegrationDoc, LinkDoc, RunDoc } from '../domain/sync-state-schemas';

/** Every index the sync-state repositories read through or rely on for idempotency. */
export const SYNC_STATE_INDEXES: readonly CollectionIndexSpec[] = [
  ...INTEGRATION_INDEXES,
  ...LINK_INDEXES,
  ...CURSOR_INDEXES,
  ...RUN_INDEXES,
  ...FAILURE_INDEXES,
  ...AUDIT_INDEXES,
];

type Repositories = IntegrationsRepository &
  LinksRepository &
  CursorsRepository &
  RunsRepository &
  FailuresRepository &
  AuditRepository;

export type SyncStateStore = Omit<Repositories, 'ensureIndexes'> & {
  /** Creates every index of SYNC_STATE_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
};

/**
 * The MongoDB implementation, over an injected sync-state `Db`: every repository over the same `Db`, with the
 * capabilities resolved at start (probed on first use when not given). `now` is injectable for tests.
 */
export function createSyncStateStore(db: Db, options: StoreOptions = {}): SyncStateStore {
  const repositories = [
    createIntegrationsRepository(db, options),
    createLinksRepository(db, options),
    createCursorsRepository(db, options),
    createRunsRepository(db, options),
    createFailuresRepository(db, options),
    createAuditRepository(db),
  ] as const;
  const [integrations, links, cursors, runs, failures, audit] = repositories;
  return {
    ...integrations,
    ...links,
    ...cursors,
    ...runs,
    ...failures,
    ...audit,
    async ensureIndexes() {
      // One after another, as a single store did: index builds are few and start-up is not in a hurry.
      for (const repository of repositories) await repository.ensureIndexes();
    },
  };
}
