import type { IntegrationConfig, RunCounts, RunSkip } from '../sync-state-schemas';
import { countDecisions, newPageResult, type DecidePageResult, type RecordDecision } from './decide';
import {
  ACCOUNT_FIELD,
  NAME_FIELD_OF,
  directionsOf,
  kindSpecOf,
  moduleConfigOf,
  type Direction,
  type KindSpec,
} from './kinds';
import { MAX_NAME_LENGTH, normalizeName } from './names';
import { planSyncSteps, type StepTarget, type SyncStep } from './plan';

/**
 * The rules of a sync step that are not about one record's fields: which records the step owns, which
 * duplicate policy acts in it, what it needs synced first, what is decided again, what is counted. Pure; the
 * activities in activities/sync/ read what these rules name and write what they decide.
 */

type Data = Record<string, unknown>;

/**
 * Overwrite acts in the module's first direction (S2.3): CRM → Books for customers and vendors; for items,
 * Books → CRM when syncing both ways. A duplicate met on the way back was left unlinked on purpose.
 */
export function overwritesHere(config: IntegrationConfig, step: SyncStep): boolean {
  const bothWays = moduleConfigOf(config, step.kind).extent === 'both_ways';
  return directionsOf(step.kind, bothWays)[0] === step.direction;
}

/**
 * The orphan rule (S2.1): the step of contacts without an account reads, from the CRM, only contacts whose
 * account field is empty; those with an account are the contact-person step's. Undefined for other steps.
 */
export function orphanField(step: SyncStep): string | undefined {
  return step.orphansOnly && step.direction === 'crm_to_books' ? ACCOUNT_FIELD : undefined;
}

/** Whether a source record is this step's (see orphanField); undefined when every record is. */
export function belongsToStepOf(step: SyncStep): ((data: Data) => boolean) | undefined {
  const field = orphanField(step);
  return field === undefined ? undefined : (data) => data[field] == null;
}

/**
 * Whether the step's new records take the records of a kind embedded in them along in the same write (new
 * Business customers take their account's contacts as contact persons): when the configuration also syncs
 * that kind from the CRM.
 */
export function embedsKindOf(config: IntegrationConfig, step: SyncStep): SyncStep['kind'] | undefined {
  if (step.direction !== 'crm_to_books') return undefined;
  return planSyncSteps(config).find(
    (s) => s.direction === step.direction && kindSpecOf(s.kind).embeddedIn === step.kind,
  )?.kind;
}

/**
 * The prerequisite of a targeted embedded kind: fetching an account under "Accounts and their Contacts" fetches
 * its contacts as contact persons too. The ids of the targeted records whose embedded records join the run.
 */
export function parentsToFollow(config: IntegrationConfig, targets: readonly StepTarget[]): string[] {
  return targets
    .filter((t) => embedsKindOf(config, { kind: t.kind, direction: t.direction }) !== undefined)
    .flatMap((t) => t.ids);
}

/** The targets with the embedded records of followed parents added (see parentsToFollow). */
export function withEmbeddedTargets(
  config: IntegrationConfig,
  targets: readonly StepTarget[],
  embeddedIds: readonly string[],
): StepTarget[] {
  const parent = targets.find((t) => embedsKindOf(config, { kind: t.kind, direction: t.direction }));
  if (!parent || embeddedIds.length === 0) return [...targets];
  const kind = embedsKindOf(config, { kind: parent.kind, direction: parent.direction })!;
  return [...targets, { kind, direction: parent.direction, ids: [...embeddedIds] }];
}

/**
 * The source records to decide again after their targets went stale: those whose decision wrote one, and
 * for records embedded in their parents' targets (whose links name the embedded record), every record that
 * wrote.
 */
export function staleSources(
  decided: Pick<DecidePageResult, 'decisions'>,
  stale: ReadonlySet<string>,
  step: SyncStep,
): Set<string> {
  const all = writesIntoParent(step);
  return new Set(
    decided.decisions
      .filter((d) =>
        all
          ? d.outcome === 'added' || d.outcome === 'matched' || d.outcome === 'updated'
          : d.targetId !== undefined && stale.has(d.targetId),
      )
      .map((d) => d.recordId),
  );
}

/** Whether the step writes its records into their parents' target records (contact persons into customers). */
export function writesIntoParent(step: SyncStep): boolean {
  return kindSpecOf(step.kind).embeddedIn !== undefined && step.direction === 'crm_to_books';
}

/**
 * Turns target writes the other system refused into failures of their source records, and drops their
 * links. Changes `decided` in place (the page's result is the activity's own).
 */
export function refuseWrites(
  decided: DecidePageResult,
  refused: ReadonlyMap<string, { field: string; reason: string }>,
  side: string,
  sources: ReadonlyMap<string, Data>,
): void {
  for (const d of decided.decisions) {
    const why = d.targetId ? refused.get(d.targetId) : undefined;
    if (!why || d.outcome === 'failed') continue;
    decided.counts[d.outcome]--;
    decided.counts.failed++;
    d.outcome = 'failed';
    d.detail = `${side} refused the record: ${why.field}: ${why.reason}`;
    decided.failures.push({
      recordId: d.recordId,
      field: why.field,
      reason: `${side} refused the record: ${why.reason}`,
      payload: sources.get(d.recordId) ?? {},
    });
  }
  decided.links = decided.links.filter((l) => !refused.has(l.booksId) && !refused.has(l.crmId));
}

/**
 * The decisions of a page that count. Records the previous run read already (it saved its cursor before them
 * because they were too recent to be settled) were counted then: met again unchanged or skipped, they do not
 * count twice, nor does a failure repeated with the reason of the failure it has open.
 */
export function countedDecisions(
  decisions: readonly RecordDecision[],
  readBefore: (recordId: string) => boolean,
  repeatedFailures: ReadonlySet<string>,
): RecordDecision[] {
  return decisions.filter((d) => {
    if (!readBefore(d.recordId)) return true;
    if (d.outcome === 'failed') return !repeatedFailures.has(d.recordId);
    return d.outcome !== 'unchanged' && d.outcome !== 'skipped';
  });
}

/** A page's counts: those of its counted decisions (see countedDecisions). */
export function pageCounts(
  decisions: readonly RecordDecision[],
  readBefore: (recordId: string) => boolean,
  repeatedFailures: ReadonlySet<string>,
): RunCounts {
  return countDecisions(countedDecisions(decisions, readBefore, repeatedFailures));
}

/** The skips a page records for its run: its counted skipped decisions, each with its reason. */
export function pageSkips(counted: readonly RecordDecision[]): RunSkip[] {
  return counted.flatMap((d) =>
    d.outcome === 'skipped' && d.skip
      ? [{ recordId: d.recordId, reason: d.skip, ...(d.detail !== undefined && { detail: d.detail }) }]
      : [],
  );
}

/**
 * A name longer than the stores keep cannot be looked up for duplicates: those records fail, alone, and the
 * rest are decided as usual. Returns the records that fit and the failures of those that do not.
 */
export function splitLongNames<R extends { id: string; data: Data }>(
  spec: KindSpec,
  direction: Direction,
  records: readonly R[],
): { fit: R[]; refused: DecidePageResult } {
  const toBooks = direction === 'crm_to_books';
  const nameOf = (r: R) => normalizeName(toBooks ? spec.crmName(r.data) : spec.booksName(r.data));
  const { result, decide } = newPageResult();
  const fit: R[] = [];
  for (const r of records) {
    const length = nameOf(r).length;
    if (length <= MAX_NAME_LENGTH) {
      fit.push(r);
      continue;
    }
    const field = toBooks ? NAME_FIELD_OF[spec.crmModule] : NAME_FIELD_OF[spec.booksModule];
    const reason = `the name is ${length} characters long; at most ${MAX_NAME_LENGTH} can be synced`;
    result.failures.push({ recordId: r.id, field, reason, payload: r.data });
    decide({ recordId: r.id, outcome: 'failed', detail: `${field}: ${reason}` });
  }
  return { fit, refused: result };
}
