import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { migrationTurnsWorkflowId } from '../domain/ids';
import { NO_TURNS, promoted, released, requested, type TurnsState } from '../domain/users/migration-turns';
import {
  migrationTurnGrantedSignal,
  releaseMigrationTurnSignal,
  requestMigrationTurnSignal,
} from './user-migration-messages';

export interface MigrationTurnsInput {
  booksOrgId: string;
  /** Carried through continue-as-new. */
  state?: TurnsState;
}

/** Signals the batch its grant; false when the batch no longer runs. */
async function grant(holder: { workflowId: string; turn: number }): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(holder.workflowId).signal(migrationTurnGrantedSignal, {
      turn: holder.turn,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * An org's migration batches, one at a time (domain/users/migration-turns.ts says why): a batch asks with
 * signal-with-start, waits for its grant, and gives the org back when it pauses, is cancelled or ends. The
 * workflow ends as soon as nobody holds or waits, so it lives only while batches run. Deterministic; its
 * state is plain JSON and carried through continue-as-new.
 */
export async function migrationTurnsWorkflow(input: MigrationTurnsInput): Promise<void> {
  let state = input.state ?? NO_TURNS;
  let requests = 0;
  setHandler(requestMigrationTurnSignal, (request) => {
    state = requested(state, request);
    requests++;
  });
  setHandler(releaseMigrationTurnSignal, ({ workflowId }) => {
    state = released(state, workflowId);
  });

  for (;;) {
    state = promoted(state);
    const holder = state.holder;
    if (holder === null) break;
    if (!(await grant(holder))) {
      state = released(state, holder.workflowId);
      continue;
    }
    // Until the holder gives the org back or asks for a new turn, or a batch asks: the holder is then sent its
    // grant again, a signal that fails if it no longer runs (terminated, not cancelled), so the org passes on
    // instead of waiting forever. No timer checks the holder meanwhile (see `orgTurnOf`).
    const seen = requests;
    await condition(() => state.holder !== holder || requests > seen);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof migrationTurnsWorkflow>({ booksOrgId: input.booksOrgId, state });
    }
  }
  await condition(allHandlersFinished);
}

const { requestMigrationTurn } = proxyActivities<Activities>({
  // One signal-with-start.
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/** A batch's side of its org's turns: `take` waits until the org is its, `giveBack` lets the next one go. */
export interface OrgTurn {
  take(): Promise<void>;
  giveBack(): Promise<void>;
}

/**
 * The turns of the batch running this code, for its Books org. Registers the grant handler, so it is called
 * before the batch's first await. `take` is cancellable (a batch cancelled while waiting withdraws with
 * `giveBack`); `giveBack` is idempotent and does nothing when the batch neither holds nor waits.
 */
export function orgTurnOf(booksOrgId: string): OrgTurn {
  let turn = 0;
  let granted = 0;
  let asked = false;
  setHandler(migrationTurnGrantedSignal, (signal) => {
    granted = Math.max(granted, signal.turn);
  });
  const { workflowId, taskQueue } = workflowInfo();
  return {
    async take() {
      turn++;
      asked = true;
      // Asked once; the turns workflow signals the grant when the turn comes. No re-ask timer: a waiting batch
      // has no timer at all, so a time-skipping server never jumps ahead while windows run. The price: a
      // batch waiting behind a holder that was terminated (not cancelled) waits until another batch of the
      // org asks, which finds the holder gone (README, integration users).
      await requestMigrationTurn({ booksOrgId, workflowId, turn, taskQueue });
      await condition(() => granted >= turn);
    },
    async giveBack() {
      if (!asked) return;
      asked = false;
      // The turns workflow ends once idle: a release it can no longer receive has nothing left to free.
      await getExternalWorkflowHandle(migrationTurnsWorkflowId(booksOrgId))
        .signal(releaseMigrationTurnSignal, { workflowId })
        .catch(() => undefined);
    },
  };
}
