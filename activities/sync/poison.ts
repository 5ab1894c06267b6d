import { CancelledFailure } from '@temporalio/activity';
import { ZodError } from 'zod';
import { contentHash } from '../../domain/hash';
import { newPageResult, type RecordDecision } from '../../domain/sync/decide';
import { KeyPartSchema } from '../../domain/sync-state-schemas';
import { InvalidRecordsError, isServerFault } from '../../stores/record-collection';
import type { StoredRecord } from '../../stores/record-store';
import type { SyncStateStore } from '../../stores/sync-state-store';
import { applyChunk } from './apply';
import type { ChunkContext, Data, PoisonedRecord } from './types';

/*
 * Poison isolation: records that cannot be synced at all fail alone, with their reason, never the run.
 */

/**
 * How many times a chunk may be split to isolate records that cannot be synced (about 1 + log2(chunk) splits
 * per such record): beyond it, the failure is the step's, not a few records'.
 */
const MAX_POISON_SPLITS = 100;

/**
 * Runs `work` over the records; when it throws for a reason in the data (anything but a server or driver
 * error, or a cancellation), runs it on each half instead, down to single records, which then fail alone
 * with the error's reason. Returns the decisions of the records that went through and the poisoned ones.
 */
export async function isolatingPoison(
  records: StoredRecord<Data>[],
  work: (part: StoredRecord<Data>[]) => Promise<RecordDecision[]>,
  budget = { splits: MAX_POISON_SPLITS },
): Promise<{ decisions: RecordDecision[]; poisoned: PoisonedRecord[] }> {
  try {
    return { decisions: await work(records), poisoned: [] };
  } catch (err) {
    if (isServerFault(err) || err instanceof CancelledFailure || records.length === 0) throw err;
    if (records.length === 1) {
      const { field, reason } = describeError(err);
      return { decisions: [], poisoned: [{ record: records[0]!, field, reason }] };
    }
    // Many failing parts are no poisoned records but a fault of the step: it fails as it did before.
    if (budget.splits-- <= 0) throw err;
    const half = Math.ceil(records.length / 2);
    const first = await isolatingPoison(records.slice(0, half), work, budget);
    const second = await isolatingPoison(records.slice(half), work, budget);
    return {
      decisions: [...first.decisions, ...second.decisions],
      poisoned: [...first.poisoned, ...second.poisoned],
    };
  }
}

/** The field and reason of an error met on one record. */
function describeError(err: unknown): { field: string; reason: string } {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    return {
      field: issue && issue.path.length > 0 ? issue.path.join('.') : '(record)',
      reason: `could not be synced: ${issue?.message ?? err.message}`,
    };
  }
  if (err instanceof InvalidRecordsError && err.failures[0])
    return { field: err.failures[0].field, reason: `could not be written: ${err.failures[0].reason}` };
  return {
    field: '(record)',
    reason: `could not be synced: ${err instanceof Error ? err.message : String(err)}`,
  };
}

/** Records poisoned records as failures of the step (their payload kept for reprocessing). */
export async function recordPoisoned(
  state: SyncStateStore,
  c: ChunkContext,
  poisoned: readonly PoisonedRecord[],
): Promise<RecordDecision[]> {
  if (poisoned.length === 0) return [];
  const { result, decide } = newPageResult();
  for (const p of poisoned) {
    // The failure must be storable whatever the record holds: an id the failures cannot key on is replaced
    // by one derived from it (the payload keeps the real one), field and reason are cut to their limits.
    const storable = KeyPartSchema.safeParse(p.record.id).success;
    const recordId = storable ? p.record.id : `unstorable-id-${contentHash(p.record.id)}`;
    const field = p.field.slice(0, 300);
    const reason = p.reason.slice(0, 2000);
    const payload = storable ? p.record.data : { ...p.record.data, id: p.record.id };
    result.failures.push({ recordId, field, reason, payload });
    decide({ recordId, outcome: 'failed', detail: `${field}: ${reason}` });
  }
  await applyChunk(state, result, { ...c, sources: new Map() });
  return result.decisions;
}
