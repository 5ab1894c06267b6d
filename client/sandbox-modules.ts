import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { sandboxModulesWorkflowId } from '../domain/ids';
import { SANDBOX_FINANCE_MODULES } from '../domain/sandbox';
import type { SandboxModulesInput, sandboxModulesWorkflow } from '../workflows/sandbox-modules';

export interface SandboxModulesStart {
  workflowId: string;
  /** False when the org's job was already running or had completed: one job per CRM sandbox. */
  started: boolean;
}

/**
 * Starts the CRM sandbox's scheduled job (S8.3) under `sandbox-modules/{crmOrg}`, with its search attributes
 * and a summary for the Temporal UI. A second enable finds the running or completed job and starts none; a
 * failed one may be started again.
 */
export async function startSandboxModules(
  client: Client,
  taskQueue: string,
  input: SandboxModulesInput & { booksOrgId: string },
): Promise<SandboxModulesStart> {
  const workflowId = sandboxModulesWorkflowId(input.crmOrgId);
  const { booksOrgId, ...args } = input;
  try {
    await client.workflow.start<typeof sandboxModulesWorkflow>('sandboxModulesWorkflow', {
      taskQueue,
      workflowId,
      args: [args],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
      staticSummary: `Sandbox finance modules of CRM ${input.crmOrgId} (scheduled by ${input.integrationId})`,
      staticDetails:
        `A durable timer, then ${SANDBOX_FINANCE_MODULES.join(', ')} are created in the CRM sandbox (S8.3); ` +
        'its current details say when.',
      searchAttributes: {
        CrmOrg: [input.crmOrgId],
        BooksOrg: [booksOrgId],
        SyncEnv: ['sandbox'],
        SyncStatus: ['scheduled'],
      },
    });
    return { workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
