import { ApplicationFailure } from '@temporalio/activity';
import { checkConfigInput, configChanges, describeConfigChanges } from '../domain/config-input';
import { ErrorType } from '../domain/errors';
import { describeRefusals, pairingRefusals } from '../domain/sandbox';
import { type Environment, type IntegrationConfig, type IntegrationDoc } from '../domain/sync-state-schemas';
import { TwoWayIntegrationExistsError } from '../stores/sync-state-store';
import { CRM_FINANCE_MODULES, type SyncDeps } from './sync';
import type { UserDeps } from './users';
import { startUserMigrationOnEnable } from './users-on-enable';
import { createViewLoader } from './views';

type Data = Record<string, unknown>;

export interface ActorInput {
  id: string;
  name?: string;
}

export interface EnableIntegrationInput {
  integrationId: string;
  crmOrgId: string;
  booksOrgId: string;
  environment: Environment;
  config: unknown;
  actor: ActorInput;
}

export interface IntegrationSaved {
  direction: 'two_way' | 'one_way';
  configVersion: number;
  periodicSyncMinutes: number;
}

export interface ConfigureIntegrationInput {
  integrationId: string;
  config: unknown;
  actor: ActorInput;
}

export interface SetIntegrationStatusInput {
  integrationId: string;
  status: 'active' | 'paused' | 'disabled';
  actor: ActorInput;
}

export interface RecordExpiredRequestInput {
  integrationId: string;
  /** What was asked: "pause", "configure", "fetch", … */
  action: string;
  actor: ActorInput;
  /** Why it was refused, with when it was sent, its deadline and when it arrived. */
  reason: string;
  /** The update's id, so a retried append writes one entry. */
  requestId?: string;
}

const FINANCE_PAGE = 500;

/**
 * The activities behind the integration workflow's updates: each validates, saves the integration document
 * and appends an audit entry (S9.8). Refusals are non-retryable failures with a named type and a message an
 * operator can act on; the workflow serialises them, so saves of one integration never race.
 */
export function createIntegrationActivities(deps: SyncDeps & Pick<UserDeps, 'integrationUsers'>) {
  const state = deps.syncState;
  const views = createViewLoader(deps.crm);

  const refuse = (message: string, type: string) => ApplicationFailure.nonRetryable(message, type);

  function parseConfig(config: unknown): IntegrationConfig {
    const checked = checkConfigInput(config);
    if (checked.ok) return checked.config;
    throw refuse(`invalid configuration: ${checked.issues.join('; ')}`, ErrorType.ConfigInvalid);
  }

  /** The owner must be a CRM user and every chosen view must apply (S2.4), else the change is refused. */
  async function checkViews(crmOrgId: string, config: IntegrationConfig): Promise<void> {
    const problems = await views.check(crmOrgId, config, new Date().toISOString());
    if (problems.length > 0)
      throw refuse(`invalid configuration: ${problems.join('; ')}`, ErrorType.ConfigInvalid);
  }

  async function current(integrationId: string): Promise<IntegrationDoc> {
    const doc = await state.getIntegration(integrationId);
    if (!doc) throw refuse(`no integration ${integrationId}`, ErrorType.NotFound);
    return doc;
  }

  /** S1.1: a one-way integration (a second Books org on the CRM org) only fetches from the CRM. */
  function checkDirection(direction: 'two_way' | 'one_way', config: IntegrationConfig, other?: string): void {
    if (direction === 'two_way') return;
    const both = (['customers', 'vendors', 'items'] as const).filter((m) => config[m].extent === 'both_ways');
    if (both.length > 0)
      throw refuse(
        `${other ? `the CRM org already syncs both ways with Books org ${other}; ` : ''}this integration is ` +
          `one-way: set extent "fetch_from_crm" for ${both.join(', ')}`,
        ErrorType.ConfigInvalid,
      );
  }

  async function save(
    doc: Parameters<typeof state.saveIntegration>[0],
    opts: { statusOnly?: boolean } = {},
  ): Promise<IntegrationDoc> {
    try {
      return await state.saveIntegration(doc, opts);
    } catch (err) {
      if (err instanceof TwoWayIntegrationExistsError) throw refuse(err.message, ErrorType.Conflict);
      // A VersionConflictError (a save from outside the workflow landed in between) is retried with a fresh read.
      throw err;
    }
  }

  async function audit(integrationId: string, actor: ActorInput, action: string, detail: string) {
    await state.appendAudit([
      {
        at: new Date(),
        actor: { type: 'user', ...actor },
        integrationId,
        action,
        entity: 'integration',
        payloadIds: [integrationId],
        outcome: 'success',
        detail,
      },
    ]);
  }

  /** S1.3: the Books org's name, email and country shown on the CRM org (removed again on disable). */
  async function showOnCrm(crmOrg: Data, entry: Data | undefined, booksOrgId: string, environment: string) {
    const others = (
      Array.isArray(crmOrg.books_organizations) ? (crmOrg.books_organizations as Data[]) : []
    ).filter((b) => !(b.organization_id === booksOrgId && b.environment === environment));
    await deps.crm.saveOrg({ ...crmOrg, books_organizations: entry ? [...others, entry] : others });
  }

  /** S4.4: the CRM finance-module copies go; Books keeps its documents. Returns how many were deleted. */
  async function deleteFinanceCopies(crmOrgId: string): Promise<number> {
    let deleted = 0;
    for (const module of CRM_FINANCE_MODULES) {
      const records = deps.crm.records(module);
      let cursor = null;
      for (;;) {
        const page = await records.findChangedSince(crmOrgId, cursor, FINANCE_PAGE);
        const live = page.records.filter((r) => !r.deleted).map((r) => r.id);
        if (live.length > 0) deleted += await records.markDeleted(crmOrgId, live);
        if (!page.next) break;
        cursor = page.next;
      }
    }
    return deleted;
  }

  return {
    /**
     * Enables (or re-enables) an integration: both orgs must exist; the CRM org's first live Books org syncs
     * two-way, a second one only fetches from the CRM (S1.1); the Books org is shown on the CRM side (S1.3).
     * Links are never touched, so a re-enable finds every record already paired. Idempotent.
     */
    async enableIntegration(input: EnableIntegrationInput): Promise<IntegrationSaved> {
      const config = parseConfig(input.config);
      const crmOrg = await deps.crm.getOrg(input.crmOrgId);
      if (!crmOrg) throw refuse(`CRM org ${input.crmOrgId} is not known`, ErrorType.NotFound);
      const booksOrg = await deps.books.getOrganization(input.booksOrgId);
      if (!booksOrg) throw refuse(`Books org ${input.booksOrgId} is not known`, ErrorType.NotFound);
      // S8.2 again here, for an enable sent to the workflow without the operations' check.
      const crossed = pairingRefusals({ ...input, crmOrg, booksOrg });
      if (crossed.length > 0) throw refuse(describeRefusals(crossed), ErrorType.Conflict);
      const existing = await state.getIntegration(input.integrationId);
      const twoWayElsewhere = (await state.listIntegrationsForCrmOrg(input.crmOrgId)).find(
        (i) =>
          i._id !== input.integrationId &&
          i.environment === input.environment &&
          i.direction === 'two_way' &&
          i.status !== 'disabled',
      );
      const direction = twoWayElsewhere ? 'one_way' : 'two_way';
      checkDirection(direction, config, twoWayElsewhere?.booksOrgId);
      await checkViews(input.crmOrgId, config);
      await startUserMigrationOnEnable(deps.integrationUsers, { ...input, existed: existing !== undefined });
      const changes = existing ? configChanges(existing.config, config) : [];
      // Re-enabled as it was: a change of status, not of configuration, so its version stays.
      const saved = await save(
        {
          crmOrgId: input.crmOrgId,
          booksOrgId: input.booksOrgId,
          environment: input.environment,
          direction,
          status: 'active',
          config,
          version: existing?.version ?? 0,
        },
        { statusOnly: existing !== undefined && changes.length === 0 && existing.direction === direction },
      );
      await showOnCrm(
        crmOrg,
        {
          organization_id: input.booksOrgId,
          name: booksOrg.name,
          email: booksOrg.email ?? null,
          country: booksOrg.country ?? null,
          environment: input.environment,
          direction,
        },
        input.booksOrgId,
        input.environment,
      );
      await audit(
        input.integrationId,
        input.actor,
        existing ? 'integration.re_enabled' : 'integration.enabled',
        `${direction.replace('_', '-')} with Books org ${input.booksOrgId} (${String(booksOrg.name)}), config version ${saved.version}` +
          (changes.length > 0 ? `; changed ${describeConfigChanges(changes)}` : ''),
      );
      return { direction, configVersion: saved.version, periodicSyncMinutes: config.periodicSyncMinutes };
    },

    /** Saves a new configuration (S3.7: runs started from now on use it). Idempotent for the same content. */
    async configureIntegration(input: ConfigureIntegrationInput): Promise<IntegrationSaved> {
      const config = parseConfig(input.config);
      const doc = await current(input.integrationId);
      if (doc.status === 'disabled') throw refuse('the integration is disabled', ErrorType.Conflict);
      checkDirection(doc.direction, config);
      await checkViews(doc.crmOrgId, config);
      const changes = configChanges(doc.config, config);
      if (changes.length === 0)
        return {
          direction: doc.direction,
          configVersion: doc.version,
          periodicSyncMinutes: doc.config.periodicSyncMinutes,
        };
      const saved = await save({ ...doc, config, version: doc.version });
      await audit(
        input.integrationId,
        input.actor,
        'integration.configured',
        `config version ${doc.version} → ${saved.version}: ${describeConfigChanges(changes)}`,
      );
      return {
        direction: saved.direction,
        configVersion: saved.version,
        periodicSyncMinutes: config.periodicSyncMinutes,
      };
    },

    /**
     * Pause, resume or disable. Disabling (S4.4) deletes the CRM finance-module copies when transaction sync
     * was on, leaves Books untouched and keeps every link. Idempotent.
     */
    async setIntegrationStatus(
      input: SetIntegrationStatusInput,
    ): Promise<{ financeRecordsDeleted: number; configVersion: number }> {
      const doc = await current(input.integrationId);
      let financeRecordsDeleted = 0;
      // A change of status, not of configuration: the version (the one runs record) stays.
      if (doc.status !== input.status)
        await save({ ...doc, status: input.status, version: doc.version }, { statusOnly: true });
      const configVersion = doc.version;
      let detail = '';
      if (input.status === 'disabled') {
        if (doc.config.transactionSync) {
          financeRecordsDeleted = await deleteFinanceCopies(doc.crmOrgId);
          detail = `; ${financeRecordsDeleted} CRM finance record(s) deleted`;
        }
        const crmOrg = await deps.crm.getOrg(doc.crmOrgId);
        if (crmOrg) await showOnCrm(crmOrg, undefined, doc.booksOrgId, doc.environment);
      }
      if (doc.status !== input.status)
        await audit(
          input.integrationId,
          input.actor,
          `integration.${input.status === 'active' ? 'resumed' : input.status}`,
          `status ${doc.status} → ${input.status}${detail}`,
        );
      return { financeRecordsDeleted, configVersion };
    },

    /**
     * Audits a request the workflow refused because it arrived after its deadline (its caller had given
     * up, e.g. the worker was down): nothing else is written. Idempotent by the request's id.
     */
    async recordExpiredRequest(input: RecordExpiredRequestInput): Promise<void> {
      await state.appendAudit([
        {
          ...(input.requestId &&
            /^[A-Za-z0-9._:-]{1,200}$/.test(input.requestId) && {
              _id: `${input.integrationId}|expired|${input.requestId}`,
            }),
          at: new Date(),
          actor: { type: 'user', ...input.actor },
          integrationId: input.integrationId,
          action: 'integration.request_expired',
          entity: 'integration',
          payloadIds: [input.integrationId],
          outcome: 'failure',
          detail: input.reason.slice(0, 4000),
        },
      ]);
    },
  };
}
