import type { IntegrationRef, SandboxOperations } from '../api/types';
import type { HttpCall } from './users-client';

/*
 * The sandbox operations (api/sandbox.ts) over the HTTP API: the `sandbox` member of createSyncClient's
 * SyncOperations, sending through its `call` (same errors as every operation: a refusal is a `conflict`).
 */
export function createSandboxClient(
  call: HttpCall,
  base: (ref: IntegrationRef) => string,
): SandboxOperations {
  return {
    createSandbox: async (input) => call('POST', '/sandboxes', { body: input }),
    deploy: async (ref) => call('POST', `${base(ref)}/deploy`),
  };
}
