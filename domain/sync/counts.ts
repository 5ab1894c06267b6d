import type { RunCounts } from '../sync-state-schemas';

/** A run's counts by module, then direction (as runs store them and views show them). */
export type CountsByModule = Record<string, Partial<Record<string, Partial<RunCounts>>>>;

export function emptyRunCounts(): RunCounts {
  return { added: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0, deleted: 0 };
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

/** One line per module and direction: "customers crm to books: +2 ~1 =40 skipped 0 failed 1". */
export function describeRunCounts(byModule: CountsByModule): string[] {
  return Object.entries(byModule).flatMap(([module, byDirection]) =>
    Object.entries(byDirection).flatMap(([direction, c]) =>
      c
        ? [
            `${module} ${direction.replace(/_/g, ' ')}: +${c.added ?? 0} ~${c.updated ?? 0} =${c.unchanged ?? 0} ` +
              `skipped ${c.skipped ?? 0} failed ${c.failed ?? 0}`,
          ]
        : [],
    ),
  );
}
