import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../domain/errors';
import { sandboxMarkOf, withFinanceModules, type SandboxFinanceModule } from '../domain/sandbox';
import type { SyncDeps } from './sync';

export interface CreateSandboxFinanceModulesInput {
  crmOrgId: string;
}

export interface CreateSandboxFinanceModulesResult {
  modules: SandboxFinanceModule[];
  /** False when a retry (or a second enable) found them already created: nothing was written. */
  created: boolean;
}

/** The activities of the sandbox's scheduled job (workflows/sandbox-modules.ts). */
export function createSandboxActivities(deps: Pick<SyncDeps, 'crm'>) {
  return {
    /**
     * Creates the four finance modules in a CRM sandbox org (S8.3): marks them on the org's settings, after
     * which records may be written into them. Idempotent: a retry finds them and writes nothing. Fails
     * non-retryable for an unknown org or a production org (whose modules come with transaction sync).
     */
    async createSandboxFinanceModules(
      input: CreateSandboxFinanceModulesInput,
    ): Promise<CreateSandboxFinanceModulesResult> {
      const org = await deps.crm.getOrg(input.crmOrgId);
      if (!org)
        throw ApplicationFailure.nonRetryable(`CRM org ${input.crmOrgId} is not known`, ErrorType.NotFound);
      if (!sandboxMarkOf(org))
        throw ApplicationFailure.nonRetryable(
          `CRM org ${input.crmOrgId} is a production org: only a sandbox gets its finance modules from the ` +
            'scheduled job (S8.3)',
          ErrorType.Conflict,
        );
      const after = withFinanceModules(org);
      const modules = sandboxMarkOf(after)?.finance_modules ?? [];
      const created = modules.length !== sandboxMarkOf(org)?.finance_modules.length;
      if (created) await deps.crm.saveOrg(after);
      return { modules, created };
    },
  };
}
