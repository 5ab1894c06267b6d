import type { Db } from 'mongodb';
import { z } from 'zod';
import { canonicalJson } from '../../domain/canonical-json';
import {
  DocIdSchema,
  IntegrationDocSchema,
  IntegrationInputSchema,
  KeyPartSchema,
  integrationIdOf,
  type IntegrationDoc,
  type IntegrationInput,
} from '../../domain/sync-state-schemas';
import { isDuplicateKey, type Stored } from '../mongo-helpers';
import type { StoreOptions } from '../server-capabilities';
import { SyncStateNotFoundError, clockOf, createCollectionIndexes, type CollectionIndexSpec } from './common';

/** A save named a version of the integration that is no longer the stored one: re-read and re-apply. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflict';
  constructor(
    readonly integrationId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      actualVersion === undefined
        ? `integration ${integrationId} does not exist (the save expected version ${expectedVersion})`
        : `integration ${integrationId} is at version ${actualVersion}, the save expected version ${expectedVersion}`,
    );
  }
}

/** S1.1: the CRM org already has a two-way integration in this environment; a further one is one-way only. */
export class TwoWayIntegrationExistsError extends Error {
  override readonly name = 'TwoWayIntegrationExists';
  constructor(
    readonly crmOrgId: string,
    readonly environment: string,
    readonly existingIntegrationId: string | undefined,
  ) {
    super(
      `CRM org ${crmOrgId} already has a two-way integration in ${environment}` +
        `${existingIntegrationId ? ` (${existingIntegrationId})` : ''}; a second Books org can only be one-way`,
    );
  }
}

const COLLECTION = 'integrations';

export const INTEGRATION_INDEXES: readonly CollectionIndexSpec[] = [
  { collection: COLLECTION, name: 'crmOrgId_environment', key: { crmOrgId: 1, environment: 1 } },
  // One live two-way integration per CRM org and environment (S1.1), enforced atomically by the server.
  { collection: COLLECTION, name: 'twoWaySlot', key: { twoWaySlot: 1 }, unique: true },
];

export interface IntegrationsRepository {
  /** Creates INTEGRATION_INDEXES. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /** The integration, parsed; undefined when absent. Throws a ZodError for a malformed id. */
  getIntegration(integrationId: string): Promise<IntegrationDoc | undefined>;
  /**
   * Creates (version 0) or updates (the version read) an integration and returns it at its new version.
   * Throws VersionConflictError for a stale version, TwoWayIntegrationExistsError (S1.1), ZodError for bad
   * input. Idempotent for a retry of a save that already landed (same content at the next version).
   * FerretDB v1 does not isolate concurrent conditional updates, so callers serialise saves of one
   * integration (its entity workflow does); on MongoDB the version check is atomic.
   * `statusOnly` (pause, resume, disable, a re-enable as it was): only the status is written, still on the
   * version read, and the version stays — it is the configuration's version, which runs record.
   */
  saveIntegration(input: IntegrationInput, opts?: { statusOnly?: boolean }): Promise<IntegrationDoc>;
  /** Every integration of a CRM org (all environments and Books orgs), by id. Read-only. */
  listIntegrationsForCrmOrg(crmOrgId: string): Promise<IntegrationDoc[]>;
}

/** Where the twoWaySlot index puts an integration: one live two-way integration per CRM org and environment. */
function twoWaySlot(
  doc: { direction: string; status: string; crmOrgId: string; environment: string },
  id: string,
) {
  return doc.direction === 'two_way' && doc.status !== 'disabled' ? `${doc.crmOrgId}/${doc.environment}` : id;
}

/** The MongoDB implementation of the integrations collection, over an injected sync-state `Db`. */
export function createIntegrationsRepository(db: Db, options: StoreOptions = {}): IntegrationsRepository {
  const now = clockOf(options);
  const integrations = db.collection<Stored>(COLLECTION);
  const parseIntegration = (doc: unknown) => IntegrationDocSchema.parse(doc);

  return {
    ensureIndexes: () => createCollectionIndexes(db, INTEGRATION_INDEXES),

    async getIntegration(integrationId) {
      const doc = await integrations.findOne({ _id: DocIdSchema.parse(integrationId) });
      return doc ? parseIntegration(doc) : undefined;
    },

    async saveIntegration(raw, opts = {}) {
      const input = IntegrationInputSchema.parse(raw);
      const id = integrationIdOf(input.crmOrgId, input.booksOrgId, input.environment);
      const fields = {
        crmOrgId: input.crmOrgId,
        booksOrgId: input.booksOrgId,
        environment: input.environment,
        direction: input.direction,
        status: input.status,
        config: input.config,
        twoWaySlot: twoWaySlot(input, id),
      };
      const time = now();
      const landed = (doc: Stored | null, version: number) =>
        doc !== null &&
        doc.version === version &&
        canonicalJson(IntegrationDocSchema.parse(doc)) ===
          canonicalJson(IntegrationDocSchema.parse({ ...doc, ...fields, version }));
      const twoWayError = async () => {
        const holder = await integrations.findOne({ twoWaySlot: fields.twoWaySlot, _id: { $ne: id } });
        return new TwoWayIntegrationExistsError(input.crmOrgId, input.environment, holder?._id);
      };

      if (input.version === 0) {
        try {
          await integrations.insertOne({
            _id: id,
            ...fields,
            version: 1,
            createdTime: time,
            modifiedTime: time,
          });
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          const current = await integrations.findOne({ _id: id });
          if (current && landed(current, 1)) return parseIntegration(current);
          if (current) throw new VersionConflictError(id, 0, z.number().parse(current.version));
          throw await twoWayError();
        }
      } else {
        let matched: number;
        const statusOnly = opts.statusOnly === true;
        const set = statusOnly ? { status: fields.status, twoWaySlot: fields.twoWaySlot } : fields;
        const next = statusOnly ? input.version : input.version + 1;
        try {
          const result = await integrations.updateOne(
            { _id: id, version: input.version },
            { $set: { ...set, version: next, modifiedTime: time } },
          );
          matched = result.matchedCount;
        } catch (error) {
          if (!isDuplicateKey(error)) throw error;
          throw await twoWayError();
        }
        if (matched === 0) {
          const current = await integrations.findOne({ _id: id });
          if (current && landed(current, next)) return parseIntegration(current);
          throw new VersionConflictError(
            id,
            input.version,
            current ? z.number().parse(current.version) : undefined,
          );
        }
      }
      const saved = await integrations.findOne({ _id: id });
      if (!saved) throw new SyncStateNotFoundError(`integration ${id} vanished right after its save`);
      return parseIntegration(saved);
    },

    async listIntegrationsForCrmOrg(crmOrgId) {
      const docs = await integrations
        .find({ crmOrgId: KeyPartSchema.parse(crmOrgId) })
        .sort({ _id: 1 })
        .toArray();
      return docs.map(parseIntegration);
    },
  };
}
