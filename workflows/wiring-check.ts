import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RecordWiringCheckResult } from '../activities/wiring';
import { wiringCheckProgressQuery, type WiringCheckProgress } from './messages';

export interface WiringCheckInput {
  checkId: string;
  /** How many write-read rounds to make (default 1). */
  rounds?: number;
  /** Durable timer between rounds, e.g. "2h" or "1s" (default "2h", the periodic-sync interval). */
  interval?: Duration;
}

export interface WiringCheckResult {
  checkId: string;
  workflowId: string;
  rounds: RecordWiringCheckResult[];
}

const { recordWiringCheck } = proxyActivities<Activities>({
  // One small write and read: seconds at most. A short timeout lets a dead worker's attempt be retried soon.
  startToCloseTimeout: '30s',
  // MongoDB being unreachable is transient: keep retrying with backoff, but give up within ~10 minutes
  // so a misconfigured deployment fails visibly instead of hanging.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 15 },
});

/**
 * The vertical slice proving the wiring end to end: rounds of a MongoDB write and read made by an activity on
 * the worker, separated by a durable timer. Deterministic; fails only with the activity's failure.
 */
export async function wiringCheckWorkflow(input: WiringCheckInput): Promise<WiringCheckResult> {
  const roundsTotal = Math.max(1, Math.floor(input.rounds ?? 1));
  const interval = input.interval ?? '2h';
  const progress: WiringCheckProgress = { roundsDone: 0, roundsTotal, nextRoundAt: null };
  setHandler(wiringCheckProgressQuery, () => progress);

  const rounds: RecordWiringCheckResult[] = [];
  for (let round = 1; round <= roundsTotal; round++) {
    rounds.push(await recordWiringCheck({ checkId: input.checkId, round }));
    progress.roundsDone = round;
    if (round < roundsTotal) {
      progress.nextRoundAt = new Date(Date.now() + msToNumber(interval)).toISOString();
      await sleep(interval);
      progress.nextRoundAt = null;
    }
  }
  return { checkId: input.checkId, workflowId: workflowInfo().workflowId, rounds };
}
