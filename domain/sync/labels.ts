import { describeRunCounts, type CountsByModule } from './counts';
import { kindSpecOf } from './kinds';
import type { SyncStep } from './plan';

/*
 * What the Temporal UI shows of a sync run (ARCHITECTURE §7): each activity's summary names its step, the
 * running run's current details say where it is, the finished run's say what it did and why it failed where it
 * did. Pure and deterministic, so workflows can call it.
 */

/** 12345 → "12,345" (no Intl: the same text on every worker). */
export function groupDigits(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "CRM → Books" or "Books → CRM". */
export function directionLabel(direction: string): string {
  return direction === 'crm_to_books' ? 'CRM → Books' : 'Books → CRM';
}

/** "accounts CRM → Books", "contacts without an account CRM → Books", "items Books → CRM (3 records)". */
export function stepLabel(step: SyncStep): string {
  const what = step.orphansOnly
    ? `${kindSpecOf(step.kind).labels.plural} without an account`
    : kindSpecOf(step.kind).labels.plural;
  const way = directionLabel(step.direction);
  const targeted = step.ids
    ? ` (${groupDigits(step.ids.length)} record${step.ids.length === 1 ? '' : 's'})`
    : '';
  return `${what} ${way}${targeted}`;
}

/** An activity's summary: "accounts CRM → Books · part 3 · from record 10,001 of the step". */
export function stepActivitySummary(step: SyncStep, part: number, recordsBefore: number): string {
  return `${stepLabel(step)} · part ${part} · from record ${groupDigits(recordsBefore + 1)} of the step`;
}

/** A running run's current details. */
export function runningDetails(input: {
  stepIndex: number;
  steps: readonly SyncStep[];
  records: number;
  stepRecords: number;
}): string {
  const step = input.steps[input.stepIndex];
  const lines = [
    `**Syncing** step ${input.stepIndex + 1} of ${input.steps.length}: ${step ? stepLabel(step) : '–'}`,
    `${groupDigits(input.stepRecords)} records of this step handled, ${groupDigits(input.records)} in the run`,
    `Steps: ${input.steps.map((s, i) => `${i < input.stepIndex ? '✓' : i === input.stepIndex ? '▶' : '·'} ${stepLabel(s)}`).join(', ')}`,
  ];
  return lines.join('\n\n');
}

export interface RunFailureLine {
  module: string;
  direction: string;
  recordId: string;
  field: string;
  reason: string;
}

/** A finished run's current details: its status, counts per module and direction, its first failures. */
export function finishedDetails(input: {
  status: string;
  reason?: string | undefined;
  counts: CountsByModule;
  failureCount: number;
  failures: readonly RunFailureLine[];
}): string {
  const lines = [`**${input.status}**${input.reason ? `: ${input.reason}` : ''}`];
  const counts = describeRunCounts(input.counts).map((line) => `- ${line}`);
  if (counts.length > 0) lines.push(counts.join('\n'));
  if (input.failureCount > 0) {
    lines.push(
      `${groupDigits(input.failureCount)} failure(s)` +
        (input.failures.length < input.failureCount ? `, the first ${input.failures.length}:` : ':'),
    );
    lines.push(
      input.failures
        .map((f) => `- ${f.module} ${directionLabel(f.direction)} ${f.recordId} ${f.field}: ${f.reason}`)
        .join('\n'),
    );
  }
  return lines.join('\n\n');
}
