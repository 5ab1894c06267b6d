import { proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { labelSyncStatus } from './sync-status';
import type { CreateSandboxFinanceModulesResult } from '../activities/sandbox';
import { SANDBOX_FINANCE_MODULES } from '../domain/sandbox';
import { INTEGRATION_SAVE } from './activity-options';

/** The default wait before the scheduled job runs: the sandbox enable answers at once, the modules follow. */
export const SANDBOX_MODULES_DELAY_MS = 5 * 60_000;

export interface SandboxModulesInput {
  crmOrgId: string;
  /** The sandbox integration whose enable scheduled the job (shown in the Temporal UI). */
  integrationId: string;
  /** How long the durable timer waits before the modules are created; SANDBOX_MODULES_DELAY_MS by default. */
  delayMs?: number;
}

export interface SandboxModulesResult extends CreateSandboxFinanceModulesResult {
  /** When the timer fired and the modules were created (ISO). */
  ranAt: string;
}

const { createSandboxFinanceModules } = proxyActivities<Activities>({
  // One read and one write of the org's settings; a production org or an unknown one is refused at once.
  ...INTEGRATION_SAVE,
  summary: `create ${SANDBOX_FINANCE_MODULES.join(', ')} in the CRM sandbox`,
});

/**
 * The scheduled job of S8.3, id `sandbox-modules/{crmOrg}`: started by enabling an integration in a sandbox,
 * it waits on a durable timer (a worker restart does not lose it) and then creates the four finance modules
 * in the CRM sandbox org, after which records can be created in them. Deterministic; the activity is
 * idempotent, so a retried or repeated job creates nothing twice.
 */
export async function sandboxModulesWorkflow(input: SandboxModulesInput): Promise<SandboxModulesResult> {
  const delayMs = input.delayMs ?? SANDBOX_MODULES_DELAY_MS;
  const dueAt = new Date(Date.now() + delayMs).toISOString();
  setCurrentDetails(
    `Scheduled by ${input.integrationId}: creates ${SANDBOX_FINANCE_MODULES.join(', ')} in CRM sandbox ` +
      `${input.crmOrgId} at ${dueAt}.`,
  );
  labelSyncStatus('scheduled');
  await sleep(delayMs);
  labelSyncStatus('running');
  const done = await createSandboxFinanceModules({ crmOrgId: input.crmOrgId });
  const ranAt = new Date().toISOString();
  setCurrentDetails(
    `${done.created ? 'Created' : 'Found already created'} ${done.modules.join(', ')} in CRM sandbox ` +
      `${input.crmOrgId} at ${ranAt}: records can be created in them.`,
  );
  labelSyncStatus('completed');
  return { ...done, ranAt };
}
