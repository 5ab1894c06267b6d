/*
 * The sync runs that bring a document's customer, vendor and items to Books just in time (S9.2). They are
 * ordinary targeted runs (the same prepare, step and finish activities as any run) under a trigger of their
 * own, `dependency`: the integration's run history and its last run leave them out, and the document's
 * history lists them by run id (history.ts). The runs collection still wants a number unique per
 * integration; theirs live apart from the integration workflow's runs (1, 2, 3, …, counted in its own
 * state), far above any number it reaches, so the two never claim the same (integration, number).
 */

/** Where the numbers of dependency runs start: 2^40, beyond any count of periodic runs. */
export const DEPENDENCY_RUN_NUMBERS_FROM = 2 ** 40;

/** The id of a document workflow's `n`th dependency run within one workflow execution. */
export function dependencyRunId(workflowId: string, executionRunId: string, n: number): string {
  return `${workflowId}/deps/${executionRunId.slice(0, 8)}-${n}`;
}

/**
 * The run number of a dependency run: from its id by a 48-bit FNV-1a hash, so it is the same on every retry
 * and replay (no I/O: the workflow computes it) and two runs share one only by a 1-in-2^48 chance.
 */
export function dependencyRunNumber(runId: string): number {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(runId)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return DEPENDENCY_RUN_NUMBERS_FROM + Number(hash & 0xffffffffffffn);
}
