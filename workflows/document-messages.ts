import { defineQuery, defineSignal } from '@temporalio/workflow';
import { DOCUMENT_CHANGED_SIGNAL } from '../domain/sync/documents/workflow-start';

/*
 * The document workflow's signal and query, shared by the workflow and the client (signal-with-start).
 * Kept beside messages.ts rather than in it, as user-migration-messages.ts is: the lead may fold them in.
 */

/** Where a change of a CRM finance document was noticed. */
export interface DocumentChange {
  source: 'api' | 'poller' | 'webhook';
}

/** The CRM document changed: push it again (signal-with-start starts the workflow when none runs). */
export const documentChangedSignal = defineSignal<[DocumentChange]>(DOCUMENT_CHANGED_SIGNAL);

export interface DocumentProgress {
  phase: 'pushing' | 'syncing_dependencies' | 'following' | 'refused' | 'finished';
  /** The Books document, once pushed. */
  booksId: string | null;
  /** Its Books status as last seen. */
  status: string | null;
  /** The problems of the last refusal (`field: reason`). */
  problems: string[];
  /** Changes received, pushes done, and Books polls done in this execution. */
  changes: number;
  pushes: number;
  polls: number;
}

export interface DocumentPollerProgress {
  polls: number;
  signalled: number;
}

export const documentPollerQuery = defineQuery<DocumentPollerProgress>('documentPoller');

export const documentProgressQuery = defineQuery<DocumentProgress>('documentProgress');
