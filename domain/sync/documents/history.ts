/*
 * A document's sync history (issue 16): what its workflow did for it — pushes, dependency runs, reads of the
 * Books document — newest last, shown by `documents show`. Dependency runs are listed here rather than in the
 * integration's numbered run history, which counts the integration's own runs. Kept by the workflow (its
 * query while it runs, its memo once it ended), so bounded: the last HISTORY_LIMIT entries, and consecutive
 * reads that found nothing new folded into one entry with a count.
 */

export type DocumentHistoryEntry =
  | {
      what: 'push';
      /** ISO time the push ended. */
      at: string;
      /** `pushed` (the Books status then), or `refused` with the first problem. */
      outcome: string;
      detail?: string;
    }
  | {
      what: 'dependency_run';
      at: string;
      /** The sync run's id (its record in the runs collection), never a number in the integration's history. */
      runId: string;
      outcome: string;
      failures: number;
    }
  | {
      what: 'follow';
      at: string;
      /** The Books status read. */
      outcome: string;
      /** Whether the CRM copy changed; unchanged reads in a row share one entry. */
      changed: boolean;
      /** What woke the read: its timer, or a change seen in Books (the poller). */
      cause: 'timer' | 'books';
      /** Reads folded into this entry (1 for a single read). */
      reads: number;
    };

/** How many entries a document keeps (a memo is small: about 200 bytes an entry). */
export const HISTORY_LIMIT = 30;

/**
 * The history with `entry` added: an unchanged read right after an unchanged read of the same status and
 * cause counts into it instead of adding a line. Pure; never longer than `limit`.
 */
export function withHistoryEntry(
  history: readonly DocumentHistoryEntry[],
  entry: DocumentHistoryEntry,
  limit = HISTORY_LIMIT,
): DocumentHistoryEntry[] {
  const last = history[history.length - 1];
  if (
    entry.what === 'follow' &&
    !entry.changed &&
    last?.what === 'follow' &&
    !last.changed &&
    last.outcome === entry.outcome &&
    last.cause === entry.cause
  )
    return [...history.slice(0, -1), { ...last, at: entry.at, reads: last.reads + entry.reads }];
  return [...history, entry].slice(-limit);
}

/** One line of a history entry, as the CLI prints it. */
export function historyLine(entry: DocumentHistoryEntry): string {
  switch (entry.what) {
    case 'push':
      return `${entry.at} push ${entry.outcome}${entry.detail ? ` (${entry.detail})` : ''}`;
    case 'dependency_run':
      return `${entry.at} dependency run ${entry.runId} ${entry.outcome}, ${entry.failures} failure(s)`;
    case 'follow':
      return (
        `${entry.at} Books read (${entry.cause}) ${entry.outcome}` +
        `${entry.changed ? ', CRM copy updated' : ''}${entry.reads > 1 ? ` ×${entry.reads}` : ''}`
      );
  }
}
