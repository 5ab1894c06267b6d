import { followDocument } from './follow';
import { pollDocumentChanges, type PollDocumentChangesInput, type PollDocumentChangesResult } from './poll';
import {
  startDocumentPoller,
  type StartDocumentPollerInput,
  type StartDocumentPollerResult,
} from './poller-start';
import { pushDocument, readDocumentDependencies } from './push';
import { restoreCrmCopies, type RestoreCrmCopiesInput, type RestoreCrmCopiesResult } from './restore';
import type {
  DocumentDeps,
  FollowDocumentInput,
  FollowDocumentResult,
  PushDocumentInput,
  PushDocumentResult,
  ReadDocumentDependenciesInput,
  ReadDocumentDependenciesResult,
} from './types';

export * from './types';
export type { PollDocumentChangesInput, PollDocumentChangesResult } from './poll';
export type { StartDocumentPollerInput, StartDocumentPollerResult } from './poller-start';
export type { RestoreCrmCopiesInput, RestoreCrmCopiesResult } from './restore';

/**
 * The activities of the document workflow (issue 16): what a document needs first, its push, and following
 * its Books side. Its dependencies are synced between the first and the second by the sync activities
 * themselves (a targeted run), never by a copy of their rules. The keys are the activity type names.
 */
export function createDocumentActivities(deps: DocumentDeps) {
  return {
    /** See push.ts. Read-only; a document that cannot be pushed is returned with its problems. */
    readDocumentDependencies(input: ReadDocumentDependenciesInput): Promise<ReadDocumentDependenciesResult> {
      return readDocumentDependencies(deps, input);
    },
    /** See push.ts. Idempotent; creates at most one Books document per CRM document. */
    pushDocument(input: PushDocumentInput): Promise<PushDocumentResult> {
      return pushDocument(deps, input);
    },
    /** See follow.ts. Idempotent. */
    followDocument(input: FollowDocumentInput): Promise<FollowDocumentResult> {
      return followDocument(deps, input);
    },
    /** See poll.ts. Idempotent: a document signalled twice is pushed twice, the second a no-op. */
    pollDocumentChanges(input: PollDocumentChangesInput): Promise<PollDocumentChangesResult> {
      return pollDocumentChanges(deps, input);
    },
    /** See poller-start.ts. Idempotent; called by the integration workflow when transaction sync goes on. */
    startDocumentPoller(input: StartDocumentPollerInput): Promise<StartDocumentPollerResult> {
      return startDocumentPoller(deps, input);
    },
    /** See restore.ts. Idempotent; called by the poller when it starts or is woken (a re-enable, S4.4). */
    restoreCrmCopies(input: RestoreCrmCopiesInput): Promise<RestoreCrmCopiesResult> {
      return restoreCrmCopies(deps, input);
    },
  };
}
