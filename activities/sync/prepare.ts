import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../domain/errors';
import { CRM_EDITIONS } from '../../domain/crm-schemas';
import { FieldMapError } from '../../domain/sync/field-maps';
import { planSyncSteps, targetSteps, type StepTarget, type SyncStep } from '../../domain/sync/plan';
import { parentsToFollow, withEmbeddedTargets } from '../../domain/sync/step-rules';
import type { IntegrationDoc } from '../../domain/sync-state-schemas';
import { ViewError } from '../../domain/views';
import { loadIntegration, type KindSettings } from './context';
import type { PrepareSyncRunInput, PrepareSyncRunResult, SyncDeps } from './types';

const refuse = (reason: string, errorType: string): PrepareSyncRunResult => ({
  ok: false,
  reason,
  errorType,
});

/**
 * Starts a run's history entry with a snapshot of the configuration and checks the prerequisites (S1.2):
 * CRM edition Professional or above; with multi-currency on, equal base currencies; valid field maps.
 * Idempotent on the run id. A refusal is returned, not thrown: the workflow records it as a failed run.
 */
export async function prepareSyncRun(
  deps: SyncDeps,
  settings: KindSettings,
  input: PrepareSyncRunInput,
): Promise<PrepareSyncRunResult> {
  const state = deps.syncState;
  const integration = await loadIntegration(state, input.integrationId);
  await state.startRun({
    runId: input.runId,
    integrationId: input.integrationId,
    runNumber: input.runNumber,
    trigger: input.trigger,
    config: integration.config,
    configVersion: integration.version,
  });
  if (integration.status === 'disabled')
    return refuse('the integration is disabled', ErrorType.PrerequisiteFailed);
  const crmOrg = await deps.crm.getOrg(integration.crmOrgId);
  const booksOrg = await deps.books.getOrganization(integration.booksOrgId);
  if (!crmOrg) return refuse(`CRM org ${integration.crmOrgId} is not known`, ErrorType.PrerequisiteFailed);
  if (!booksOrg)
    return refuse(`Books org ${integration.booksOrgId} is not known`, ErrorType.PrerequisiteFailed);
  const edition = String(crmOrg.edition);
  const rank = CRM_EDITIONS.indexOf(edition as (typeof CRM_EDITIONS)[number]);
  if (rank < CRM_EDITIONS.indexOf('PROFESSIONAL'))
    return refuse(
      `the CRM edition is ${edition}; the Books integration needs Professional or above`,
      ErrorType.PrerequisiteFailed,
    );
  if (crmOrg.mc_status === true && crmOrg.iso_code !== booksOrg.currency_code)
    return refuse(
      `multi-currency is on in the CRM and its base currency ${String(crmOrg.iso_code)} differs from the Books ` +
        `base currency ${String(booksOrg.currency_code)}`,
      ErrorType.PrerequisiteFailed,
    );
  let steps = planSyncSteps(integration.config);
  if (input.targets) {
    const targeted = targetSteps(steps, await withEmbedded(deps, integration, input.targets));
    if (targeted.unmatched.length > 0)
      return refuse(
        `the configuration does not sync ${targeted.unmatched.map((t) => `${t.kind} ${t.direction.replace(/_/g, ' ')}`).join(', ')}`,
        ErrorType.ConfigInvalid,
      );
    steps = targeted.steps;
  }
  return (await settingsProblem(settings, integration, steps)) ?? { ok: true, steps };
}

/** The refusal of the first step whose field maps or view cannot be used; undefined when all can. */
async function settingsProblem(
  settings: KindSettings,
  integration: IntegrationDoc,
  steps: readonly SyncStep[],
): Promise<PrepareSyncRunResult | undefined> {
  try {
    for (const step of steps) {
      await settings.mapsOf(integration.booksOrgId, integration.config, step.kind);
      if (step.direction === 'crm_to_books')
        await settings.viewOf(integration.crmOrgId, integration.config, step.kind);
    }
  } catch (err) {
    if (err instanceof FieldMapError || err instanceof ViewError)
      return refuse(err.message, ErrorType.ConfigInvalid);
    if (err instanceof ApplicationFailure) return refuse(err.message, err.type ?? ErrorType.ConfigInvalid);
    throw err;
  }
  return undefined;
}

/**
 * Under "Accounts and their Contacts", fetching an account fetches its contacts as contact persons too
 * (domain/sync/step-rules.ts): the contact-person step gets the ids of the targeted accounts' contacts.
 */
async function withEmbedded(
  deps: SyncDeps,
  integration: IntegrationDoc,
  targets: StepTarget[],
): Promise<StepTarget[]> {
  const accountIds = parentsToFollow(integration.config, targets);
  if (accountIds.length === 0) return targets;
  const contacts = await deps.crm.findContactsByAccountIds(integration.crmOrgId, accountIds);
  return withEmbeddedTargets(
    integration.config,
    targets,
    contacts.map((c) => c.id),
  );
}
