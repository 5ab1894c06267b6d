import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { ErrorType } from '../domain/errors';

/**
 * The activity-option presets of the workflows, named once: each says why its timeouts are what they are.
 * Changing one changes the commands of running workflows' next activities, not their replay.
 */

/**
 * Transient failures (a store or server briefly unreachable) are retried for as long as the timeout allows,
 * backing off to one attempt a minute; a permanent failure is thrown non-retryable by the activity.
 */
export const RETRY_WITH_BACKOFF: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
};

/** A few small reads and writes (prepare or finish a run, one audit entry): seconds at most. */
export const SMALL_STEP: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: RETRY_WITH_BACKOFF,
};

/**
 * A few reads and writes of the integration document (disable may delete CRM finance copies in batches).
 * Refusals are not retried: the update fails with them at once, with the activity's message.
 */
export const INTEGRATION_SAVE: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: {
    ...RETRY_WITH_BACKOFF,
    nonRetryableErrorTypes: [
      ErrorType.ConfigInvalid,
      ErrorType.ValidationFailed,
      ErrorType.NotFound,
      ErrorType.Conflict,
    ],
  },
};

export const SYNC_STEP: ActivityOptions = {
  // A step of 5,000 records (50,000 on FerretDB, where a chunk of updates can take many minutes: an update
  // costs tens of milliseconds there). The heartbeat, not this, notices a lost worker.
  startToCloseTimeout: '1 hour',
  // The activity heartbeats after every chunk: a worker that dies is noticed within a minute, and the retry
  // resumes after the last chunk it finished.
  heartbeatTimeout: '1 minute',
  // A cancelled run (integration disabled) ends only once the step has stopped writing, so a run started
  // after a re-enable never overlaps it.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: RETRY_WITH_BACKOFF,
};
