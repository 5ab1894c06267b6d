/**
 * Why a record was skipped: every skip names one of these, so a run's skips can be counted by reason and
 * listed (`integrations run <n> --skipped`). The words are what an operator reads; the detail of a decision
 * adds the record's particulars (which account, which duplicate).
 */
export const SKIP_REASONS = {
  deleted_before_synced: 'deleted at the source before it was ever synced',
  not_in_view: 'not in the selected view (S2.4)',
  target_deleted: 'its linked record was deleted on the other side; deletes are not propagated (S3.8)',
  duplicate_exists: 'a record of the same name exists on the other side (duplicate policy: skip)',
  no_account: 'a contact with no account, and contacts without an account are not synced',
  parent_not_synced: 'the record it belongs to (account or customer) is not synced',
} as const;

export type SkipReason = keyof typeof SKIP_REASONS;

/** How many of `decisions` were skipped for each reason, in the order of SKIP_REASONS; reasons met only. */
export function countSkips(
  decisions: readonly { skip?: SkipReason | undefined }[],
): Partial<Record<SkipReason, number>> {
  const counts: Partial<Record<SkipReason, number>> = {};
  for (const reason of Object.keys(SKIP_REASONS) as SkipReason[]) {
    const n = decisions.filter((d) => d.skip === reason).length;
    if (n > 0) counts[reason] = n;
  }
  return counts;
}

/** "6 not in the selected view (S2.4), 3 …": a line of skip counts by reason. */
export function describeSkips(counts: Partial<Record<SkipReason, number>>): string {
  return (Object.keys(SKIP_REASONS) as SkipReason[])
    .filter((r) => (counts[r] ?? 0) > 0)
    .map((r) => `${counts[r]} ${SKIP_REASONS[r]}`)
    .join('; ');
}
