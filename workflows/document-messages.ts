import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DocumentHistoryEntry } from '../domain/sync/documents/history';
import {
  DOCUMENT_CHANGED_SIGNAL,
  DOCUMENT_POLLER_WAKE_SIGNAL,
} from '../domain/sync/documents/workflow-start';

/*
 * The document workflow's signal and query, shared by the workflow and the client (signal-with-start).
 * Kept beside messages.ts rather than in it, as user-migration-messages.ts is: the lead may fold them in.
 */

/**
 * Where a change of a finance document was noticed: `books` is a change of its Books document (a payment, a
 * status) seen by the poller, which is read back rather than pushed; the others are CRM changes.
 */
export interface DocumentChange {
  source: 'api' | 'poller' | 'webhook' | 'books';
  /**
   * The CRM record's modifiedTime (ISO) the change is of, when the sender knows it (the poller): a workflow
   * that has pushed that version or a later one lets the change go.
   */
  version?: string;
}

/** The document changed: push it again, or read Books for a `books` change (signal-with-start starts it). */
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
  /** CRM changes let go because the version they named had been pushed already (DocumentChange.version). */
  staleChanges?: number;
  /** What the workflow did for the document, newest last (domain/sync/documents/history.ts). */
  history?: DocumentHistoryEntry[];
}

export interface DocumentPollerProgress {
  polls: number;
  /** Document workflows signalled for CRM changes, and for Books changes (payments, statuses). */
  signalled: number;
  booksSignalled?: number;
  /** Deal workflows signalled for deals written straight into the CRM store (activities/deals-poll.ts). */
  dealsSignalled?: number;
  /** Changes left out by reason (`created_in_books`: no CRM document; `own_write`: our own write seen). */
  leftOut?: Record<string, number>;
  /** CRM finance copies written back from their links on a re-enable (S4.4). */
  restored?: number;
}

/** Wakes the poller (signal-with-start on enable, configure and resume): it polls again before ending. */
export const documentPollerWakeSignal = defineSignal(DOCUMENT_POLLER_WAKE_SIGNAL);

export const documentPollerQuery = defineQuery<DocumentPollerProgress>('documentPoller');

export const documentProgressQuery = defineQuery<DocumentProgress>('documentProgress');
