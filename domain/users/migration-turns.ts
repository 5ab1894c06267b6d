/*
 * Migration batches of one Books org take turns (issue 18): a batch reads how many integration users the org
 * has, decides who fits under the 1,000 limit, then writes them. Two batches doing that at once would both
 * see the same places left and together pass the limit, and FerretDB does not isolate concurrent conditional
 * writes, so the database cannot referee. The org's turns workflow (`user-migration-turns/{booksOrg}`) does:
 * it hands the org to one batch at a time, in the order they asked. These are its rules, pure.
 */

/** The workflow type and signal names, shared by the workflows and the activity that signals-with-start. */
export const MIGRATION_TURNS = {
  workflowType: 'migrationTurnsWorkflow',
  requestSignal: 'requestMigrationTurn',
  releaseSignal: 'releaseMigrationTurn',
  grantedSignal: 'migrationTurnGranted',
} as const;

/**
 * A batch asking for the org. `turn` counts the batch's own requests (it gives the org back while paused and
 * asks again on resume), so a grant of an earlier turn arriving late is not taken for the current one.
 */
export interface TurnRequest {
  workflowId: string;
  turn: number;
}

export interface TurnsState {
  holder: TurnRequest | null;
  /** In the order they asked. */
  waiting: TurnRequest[];
}

export const NO_TURNS: TurnsState = { holder: null, waiting: [] };

/**
 * A request joins the queue once: asked again (a retried activity, or the holder's next turn) it replaces its
 * own entry where it stands, so a retry never queues a batch twice nor loses its place.
 */
export function requested(state: TurnsState, request: TurnRequest): TurnsState {
  if (state.holder?.workflowId === request.workflowId)
    return state.holder.turn === request.turn ? state : { ...state, holder: request };
  const known = state.waiting.some((w) => w.workflowId === request.workflowId);
  const waiting = known
    ? state.waiting.map((w) => (w.workflowId === request.workflowId ? request : w))
    : [...state.waiting, request];
  return { ...state, waiting };
}

/** The batch gives the org back, or withdraws its request (cancelled while waiting). Idempotent. */
export function released(state: TurnsState, workflowId: string): TurnsState {
  return {
    holder: state.holder?.workflowId === workflowId ? null : state.holder,
    waiting: state.waiting.filter((w) => w.workflowId !== workflowId),
  };
}

/** With nobody holding the org, the first in line holds it. */
export function promoted(state: TurnsState): TurnsState {
  if (state.holder !== null || state.waiting.length === 0) return state;
  const [next, ...rest] = state.waiting;
  return { holder: next!, waiting: rest };
}
