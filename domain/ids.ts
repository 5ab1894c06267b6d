/** Deterministic workflow ids: the same business request always maps to the same id. */

const SAFE_PART = /^[A-Za-z0-9._:-]{1,128}$/;

function part(name: string, value: string): string {
  if (!SAFE_PART.test(value)) {
    throw new Error(
      `${name} must be 1-128 characters of letters, digits, '.', '_', ':' or '-', got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** `wiring-check/{checkId}`: the end-to-end check of worker, Temporal and MongoDB wiring. */
export function wiringCheckWorkflowId(checkId: string): string {
  return `wiring-check/${part('checkId', checkId)}`;
}

/** `integration/{crmOrg}/{booksOrg}/{env}`: the entity workflow of one integration. */
export function integrationWorkflowId(crmOrgId: string, booksOrgId: string, environment: string): string {
  return `integration/${part('crmOrgId', crmOrgId)}/${part('booksOrgId', booksOrgId)}/${part('environment', environment)}`;
}

/** `sync-run/{integrationId}/{n}`: run n of an integration; also the run's id in the sync history. */
export function syncRunWorkflowId(integrationId: string, runNumber: number): string {
  const parts = integrationId.split('/');
  if (parts.length !== 3)
    throw new Error(
      `integrationId must be crmOrg/booksOrg/environment, got ${JSON.stringify(integrationId)}`,
    );
  parts.forEach((p, i) => part(['crmOrgId', 'booksOrgId', 'environment'][i] ?? 'part', p));
  if (!Number.isInteger(runNumber) || runNumber < 1)
    throw new Error(`runNumber must be a positive integer, got ${runNumber}`);
  return `sync-run/${integrationId}/${runNumber}`;
}

/** `user-migration/{booksOrg}/{batchId}`: one user-migration batch (issue 18); a re-run migrates nobody twice. */
export function userMigrationWorkflowId(booksOrgId: string, batchId: string): string {
  return `user-migration/${part('booksOrgId', booksOrgId)}/${part('batchId', batchId)}`;
}

/** `user-migration-turns/{booksOrg}`: hands the org to one migration batch at a time (issue 18). */
export function migrationTurnsWorkflowId(booksOrgId: string): string {
  return `user-migration-turns/${part('booksOrgId', booksOrgId)}`;
}

/** `user-migration-window/{booksOrg}`: an org's 3-month window and its automatic migration (issue 18). */
export function migrationWindowWorkflowId(booksOrgId: string): string {
  return `user-migration-window/${part('booksOrgId', booksOrgId)}`;
}

/**
 * `txn/{crmOrg}/{module}/{id}`: the document workflow of one CRM finance document (issue 16): every change of
 * the document signals-with-start this id, so one workflow at a time pushes and follows it.
 */
export function documentSyncWorkflowId(crmOrgId: string, crmModule: string, crmId: string): string {
  return `txn/${part('crmOrgId', crmOrgId)}/${part('crmModule', crmModule)}/${part('crmId', crmId)}`;
}

/** `txn-poller/{integrationId}`: the poller of an integration's CRM finance modules (issue 16). */
export function documentPollerWorkflowId(integrationId: string): string {
  return `txn-poller/${integrationId
    .split('/')
    .map((p) => part('integrationId', p))
    .join('/')}`;
}

/** `sandbox-modules/{crmOrg}`: the scheduled job creating a CRM sandbox's finance modules (S8.3), one per org. */
export function sandboxModulesWorkflowId(crmOrgId: string): string {
  return `sandbox-modules/${part('crmOrgId', crmOrgId)}`;
}

/** `subscriptions-sync/{crmOrg}/{booksOrg}/{env}`: the job keeping an integration's CRM Subscriptions current. */
export function subscriptionsSyncWorkflowId(
  crmOrgId: string,
  booksOrgId: string,
  environment: string,
): string {
  return `subscriptions-sync/${integrationWorkflowId(crmOrgId, booksOrgId, environment).slice('integration/'.length)}`;
}

/** `deal/{crmOrg}/{dealId}`: the automation workflow of one CRM deal (issue 17), signalled on every change. */
export function dealAutomationWorkflowId(crmOrgId: string, dealId: string): string {
  return `deal/${part('crmOrgId', crmOrgId)}/${part('dealId', dealId)}`;
}
