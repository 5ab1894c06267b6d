import type { DocumentOperations, IntegrationRef } from '../api/types';
import type { HttpCall } from './users-client';

/*
 * The document operations (api/documents.ts) over the HTTP API: the `documents` member of createSyncClient's
 * SyncOperations, sending through its `call` (same errors as every operation).
 */
export function createDocumentsClient(
  call: HttpCall,
  base: (ref: IntegrationRef) => string,
): DocumentOperations {
  return {
    writeDocument: async (ref, input) => call('POST', `${base(ref)}/documents`, { body: input }),
    document: async (ref, module, crmId) =>
      call('GET', `${base(ref)}/documents/${encodeURIComponent(module)}/${encodeURIComponent(crmId)}`),
    startPoller: async (ref) => call('POST', `${base(ref)}/documents/poller`),
  };
}
