import { directionLabel, groupDigits } from './labels';
import type { RunCounts } from '../sync-state-schemas';

/** A run's counts by module, then direction (as runs store them and views show them). */
export type CountsByModule = Record<string, Partial<Record<string, Partial<RunCounts>>>>;

export function emptyRunCounts(): RunCounts {
  return { added: 0, matched: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 };
}

/** Adds `more` into `into` (missing members count 0) and returns `into`. */
export function addRunCounts(into: RunCounts, more: Partial<RunCounts>): RunCounts {
  for (const key of Object.keys(into) as (keyof RunCounts)[]) into[key] += more[key] ?? 0;
  return into;
}

/** The counts of every module and direction of a run, summed. */
export function totalRunCounts(byModule: CountsByModule): RunCounts {
  const total = emptyRunCounts();
  for (const byDirection of Object.values(byModule))
    for (const counts of Object.values(byDirection)) if (counts) addRunCounts(total, counts);
  return total;
}

/** The counts in the order and words a run's details, the audit and the demo show them. */
const COUNT_WORDS: readonly (readonly [keyof RunCounts, string])[] = [
  ['added', 'added'],
  ['matched', 'matched to an existing record'],
  ['updated', 'updated'],
  ['unchanged', 'unchanged (already in sync)'],
  ['skipped', 'skipped'],
  ['failed', 'failed'],
  ['deleted', 'deleted at the source'],
];

/** One line per module and direction: "customers CRM → Books: 2 added, 0 matched to an existing record, …". */
export function describeRunCounts(byModule: CountsByModule): string[] {
  return Object.entries(byModule).flatMap(([module, byDirection]) =>
    Object.entries(byDirection).flatMap(([direction, c]) =>
      c
        ? [
            `${module} ${directionLabel(direction)}: ` +
              COUNT_WORDS.map(([key, word]) => `${groupDigits(c[key] ?? 0)} ${word}`).join(', '),
          ]
        : [],
    ),
  );
}
