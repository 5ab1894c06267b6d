import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../domain/errors';
import { resolveFieldMaps, type ResolvedFieldMap } from '../../domain/sync/field-maps';
import { kindSpecOf, moduleConfigOf, type BooksContext, type SyncKind } from '../../domain/sync/kinds';
import type { SyncStep } from '../../domain/sync/plan';
import type { IntegrationConfig, IntegrationDoc } from '../../domain/sync-state-schemas';
import type { ViewFilter } from '../../domain/views';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { createViewLoader } from '../views';
import { STEP_SIZE, type ChunkContext, type StepSource, type SyncDeps, type SyncStepInput } from './types';

/*
 * What a step reads once, before its chunks: the integration, the run's configuration snapshot, the Books
 * org's currencies, the kind's field maps and CRM view, the source and target collections.
 */

/** The integration, or a non-retryable failure when it does not exist. */
export async function loadIntegration(state: SyncStateStore, integrationId: string) {
  const integration = await state.getIntegration(integrationId);
  if (!integration)
    throw ApplicationFailure.nonRetryable(`no integration ${integrationId}`, ErrorType.ConfigInvalid);
  return integration;
}

/** The run's configuration snapshot and when it started. */
async function loadRunConfig(
  state: SyncStateStore,
  runId: string,
): Promise<{ config: IntegrationConfig; startedAt: string }> {
  const run = await state.getRun(runId);
  if (!run?.config)
    throw ApplicationFailure.nonRetryable(
      `run ${runId} has no configuration snapshot`,
      ErrorType.ConfigInvalid,
    );
  return { config: run.config, startedAt: run.startedTime.toISOString() };
}

async function loadBooksContext(books: SyncDeps['books'], booksOrgId: string): Promise<BooksContext> {
  const org = await books.getOrganization(booksOrgId);
  const base = typeof org?.currency_code === 'string' ? org.currency_code : '';
  const codes = await books.listCurrencyCodes(booksOrgId);
  return { baseCurrency: base, currencies: [...new Set([base, ...codes].filter(Boolean))] };
}

/** Field maps and views of the kinds a run moves: read per step, and checked by prepareSyncRun. */
export function createKindSettings(deps: SyncDeps) {
  const views = createViewLoader(deps.crm);
  return {
    /** The kind's maps in effect. Throws FieldMapError. */
    async mapsOf(booksOrgId: string, config: IntegrationConfig, kind: SyncKind): Promise<ResolvedFieldMap[]> {
      const spec = kindSpecOf(kind);
      const custom = await deps.books.listCustomFields(booksOrgId, spec.booksModule);
      // A module's maps are written for its own kinds; a kind embedded in another keeps its defaults.
      const userMaps = spec.embeddedIn ? [] : moduleConfigOf(config, kind).fieldMaps;
      return resolveFieldMaps(kind, userMaps, custom);
    },
    /** The kind's CRM view compiled now, or undefined. Throws ViewError or a ConfigInvalid failure. */
    viewOf(crmOrgId: string, config: IntegrationConfig, kind: SyncKind): Promise<ViewFilter | undefined> {
      return views.viewFor(crmOrgId, config, kind, new Date().toISOString());
    },
  };
}

export type KindSettings = ReturnType<typeof createKindSettings>;

/** The collection a step reads, and the org there. */
export function stepSource(deps: SyncDeps, step: SyncStep, integration: IntegrationDoc): StepSource {
  const spec = kindSpecOf(step.kind);
  return step.direction === 'crm_to_books'
    ? { records: deps.crm.records(spec.crmModule), org: integration.crmOrgId }
    : { records: deps.books.records(spec.booksModule), org: integration.booksOrgId };
}

/** Everything the chunks of a step share, read once at the start of its activity (after its integration). */
export async function loadChunkContext(
  deps: SyncDeps,
  settings: KindSettings,
  input: SyncStepInput,
  integration: IntegrationDoc,
): Promise<ChunkContext> {
  const state = deps.syncState;
  const { config, startedAt: runStartedAt } = await loadRunConfig(state, input.runId);
  const { step } = input;
  const spec = kindSpecOf(step.kind);
  const toBooks = step.direction === 'crm_to_books';
  return {
    spec,
    step,
    integration,
    integrationId: input.integrationId,
    runId: input.runId,
    runStartedAt,
    maps: await settings.mapsOf(integration.booksOrgId, config, step.kind),
    config,
    books: await loadBooksContext(deps.books, integration.booksOrgId),
    view: toBooks ? await settings.viewOf(integration.crmOrgId, config, step.kind) : undefined,
    target: toBooks ? deps.books.records(spec.booksModule) : deps.crm.records(spec.crmModule),
    targetOrg: toBooks ? integration.booksOrgId : integration.crmOrgId,
    writeSlice: (deps.stepSize ?? STEP_SIZE).writeSlice,
  };
}
