import { reconcile } from './conflicts';
import {
  booksValues,
  checkProductTypeValue,
  crmValues,
  ownerOf,
  mappedCrmFields,
  writeBooksFields,
  writeCrmFields,
  type FieldValues,
  type ResolvedFieldMap,
} from './field-maps';
import { contentHash, stableStringify } from '../hash';
import { normalizeName } from './names';
import { emptyRunCounts } from './counts';
import type { SkipReason } from './skips';
import { createdRecordId, syncKeyOf, type BooksContext, type Direction, type KindSpec } from './kinds';

export type { Direction };

/**
 * The decisions of one page of a sync step, made without I/O: for every changed source record, whether to
 * create, update, leave, skip or fail it, what to write on the other side, and the links to keep. The activity
 * around it reads the page and its links and duplicate candidates (one query each), calls this, and writes the
 * result with one bulk write per collection.
 */

export type DuplicatePolicy = 'clone' | 'overwrite' | 'skip';

export interface PageRecord {
  id: string;
  data: Record<string, unknown>;
  /** ISO */
  modifiedTime: string;
  deleted: boolean;
}

export interface LinkState {
  crmId: string;
  booksId: string;
  lastSynced: { crm: FieldValues; books: FieldValues };
  contentHash: { crm?: string | undefined; books?: string | undefined };
  deletedIn?: 'crm' | 'books' | undefined;
  /** A contact person's link: the Books customer it was last written to. */
  parentBooksId?: string | undefined;
  /** ISO: when the link was made. */
  createdTime?: string | undefined;
}

export interface DecidePageInput {
  spec: KindSpec;
  direction: Direction;
  integrationId: string;
  maps: readonly ResolvedFieldMap[];
  duplicatePolicy: DuplicatePolicy;
  books: BooksContext;
  /** Source records changed since the cursor. */
  records: readonly PageRecord[];
  /** Whether a CRM source record is in the configured view (S2.4); Books sources are not filtered. */
  inView: (data: Record<string, unknown>) => boolean;
  /** The links of the page's source records. */
  links: readonly LinkState[];
  /** The target records those links point at. */
  linkedTargets: readonly PageRecord[];
  /** Target records whose normalised display name equals a source record's (S2.3). */
  candidates: readonly PageRecord[];
  /** Of the candidates, those already linked (to anything): they are not duplicates any more. */
  linkedCandidateIds: ReadonlySet<string>;
  /** False on the module's second direction, where overwrite does not apply (S2.3). Default true. */
  overwriteHere?: boolean;
  /** Source records this step leaves to another step (not counted), e.g. contacts that have an account. */
  belongsToStep?: (data: Record<string, unknown>) => boolean;
}

export interface TargetWrite {
  id: string;
  data: Record<string, unknown>;
  syncKey?: string | undefined;
  /**
   * For a change of a record that exists: the version it was decided on (ISO) and its data then. The write
   * then sets only what differs from `base`, and only on that version; without them, the record is new.
   */
  expectedModifiedTime?: string | undefined;
  base?: Record<string, unknown> | undefined;
}

/** A write of a change to `target`, decided on the version read. */
export function changeOf(target: PageRecord, data: Record<string, unknown>): TargetWrite {
  return { id: target.id, data, expectedModifiedTime: target.modifiedTime, base: target.data };
}

/** The counts of a list of decisions. */
export function countDecisions(decisions: readonly RecordDecision[]): Record<Outcome, number> {
  const counts: Record<Outcome, number> = emptyRunCounts();
  for (const d of decisions) counts[d.outcome]++;
  return counts;
}

/**
 * The decisions of a page after some of its records were decided again (their target had changed between
 * the read and the write): the redone records' decisions replace their earlier ones, except that one found
 * `unchanged` keeps the earlier `added` or `updated` of the same target, whose write had landed then.
 */
export function mergeRedone(
  earlier: readonly RecordDecision[],
  redone: ReadonlySet<string>,
  again: readonly RecordDecision[],
): RecordDecision[] {
  const landed = new Map(
    earlier
      .filter((d) => redone.has(d.recordId) && (d.outcome === 'added' || d.outcome === 'updated'))
      .map((d) => [`${d.recordId}|${d.targetId ?? ''}`, d]),
  );
  return [
    ...earlier.filter((d) => !redone.has(d.recordId)),
    ...again.map((d) =>
      d.outcome === 'unchanged' ? (landed.get(`${d.recordId}|${d.targetId ?? ''}`) ?? d) : d,
    ),
  ];
}

export interface LinkWrite {
  crmId: string;
  booksId: string;
  lastSynced: { crm: FieldValues; books: FieldValues };
  contentHash: { crm: string; books: string };
  /** Contact persons: the Books customer holding the person. */
  parentBooksId?: string;
}

export interface PageFailure {
  recordId: string;
  field: string;
  reason: string;
  payload: Record<string, unknown>;
}

/** How a decision's detail starts when fields changed on both sides were decided by the rules (S9.5). */
export const CONFLICTS_DETAIL = 'conflicts: ';

/**
 * What a step did with a record: created its counterpart (added), linked it to an existing record of the same
 * name on a first meeting (matched: overwrite policy, S2.3), changed its linked counterpart (updated), found
 * nothing to do (unchanged), left it alone for a reason (skipped), could not move it (failed), or marked its
 * link deleted (deleted).
 */
export type Outcome = 'added' | 'matched' | 'updated' | 'unchanged' | 'skipped' | 'failed' | 'deleted';

export interface RecordDecision {
  recordId: string;
  outcome: Outcome;
  targetId?: string | undefined;
  detail?: string | undefined;
  /** Why a skipped record was skipped; every skip has one. */
  skip?: SkipReason | undefined;
}

export interface DecidePageResult {
  writes: TargetWrite[];
  links: LinkWrite[];
  /** Links of another entity made along the way (contact persons embedded in new customers). */
  extraLinks?: { entity: 'contact_person'; crmModule: 'Contacts'; links: LinkWrite[] } | undefined;
  /** Source ids whose link is to be marked deleted on the source side (S3.8: nothing is deleted). */
  deletedLinks: string[];
  failures: PageFailure[];
  decisions: RecordDecision[];
  counts: Record<Outcome, number>;
}

/** An empty page result and the function that records a decision in it (and its count). */
export function newPageResult(): { result: DecidePageResult; decide: (d: RecordDecision) => void } {
  const result: DecidePageResult = {
    writes: [],
    links: [],
    deletedLinks: [],
    failures: [],
    decisions: [],
    counts: emptyRunCounts(),
  };
  return {
    result,
    decide: (d) => {
      if (d.outcome === 'skipped' && !d.skip) throw new Error(`skipped ${d.recordId} without a reason`);
      result.decisions.push(d);
      result.counts[d.outcome]++;
    },
  };
}

/**
 * A record deleted at its source (S3.8: deletes are not propagated): its link, if it has one, is marked
 * deleted; one never synced is skipped for that reason.
 */
export function decideDeleted(
  result: DecidePageResult,
  decide: (d: RecordDecision) => void,
  recordId: string,
  link: { deletedIn?: string | undefined } | undefined,
  detail: string,
): void {
  if (link && link.deletedIn === undefined) result.deletedLinks.push(recordId);
  decide(
    link
      ? { recordId, outcome: 'deleted', detail }
      : { recordId, outcome: 'skipped', skip: 'deleted_before_synced', detail },
  );
}

/** Decides one page. Pure and deterministic: the same input gives the same writes, so a retry converges. */
export function decidePage(input: DecidePageInput): DecidePageResult {
  const { spec, direction, maps } = input;
  const toBooks = direction === 'crm_to_books';
  const { result, decide } = newPageResult();

  const sourceId = (l: LinkState) => (toBooks ? l.crmId : l.booksId);
  const targetIdOf = (l: LinkState) => (toBooks ? l.booksId : l.crmId);
  const linkBySource = new Map(input.links.map((l) => [sourceId(l), l]));
  const targets = new Map(input.linkedTargets.map((t) => [t.id, t]));
  const claimed = new Set(input.linkedCandidateIds);
  const candidatesByName = new Map<string, PageRecord[]>();
  const liveCandidateIds = new Set<string>();
  for (const c of input.candidates) {
    if (c.deleted) continue;
    liveCandidateIds.add(c.id);
    if (toBooks && !spec.booksInScope(c.data)) continue;
    const key = normalizeName(toBooks ? spec.booksName(c.data) : spec.crmName(c.data));
    const named = candidatesByName.get(key);
    if (named) named.push(c);
    else candidatesByName.set(key, [c]);
  }

  const sourceValues = (data: Record<string, unknown>): FieldValues => {
    if (toBooks) return crmValues(maps, data);
    const v = booksValues(maps, data);
    return spec.completeCrmValues ? spec.completeCrmValues(v, data) : v;
  };
  const targetValues = (data: Record<string, unknown>): FieldValues => {
    if (!toBooks) return crmValues(maps, data);
    const v = booksValues(maps, data);
    return spec.completeCrmValues ? spec.completeCrmValues(v, data) : v;
  };
  const writeTarget = (data: Record<string, unknown>, values: FieldValues, fields: readonly string[]) =>
    toBooks
      ? complete(spec, writeBooksFields(maps, data, values, fields), fields)
      : writeCrmFields(data, values, fields);
  const fields = mappedCrmFields(maps).map((field) => ({ field, owner: ownerOf(maps, field) }));

  for (const record of input.records) {
    if (!toBooks && !spec.booksInScope(record.data)) continue; // another kind's record in a shared module
    if (input.belongsToStep && !input.belongsToStep(record.data)) continue;
    const link = linkBySource.get(record.id);

    if (record.deleted) {
      decideDeleted(result, decide, record.id, link, 'deleted at the source; not propagated');
      continue;
    }
    if (toBooks && !input.inView(record.data)) {
      decide({
        recordId: record.id,
        outcome: 'skipped',
        skip: 'not_in_view',
        detail: 'not in the selected view',
      });
      continue;
    }

    const values = sourceValues(record.data);
    const issue =
      (toBooks ? spec.validateForBooks(values, input.books) : spec.validateForCrm(values, input.books)) ??
      (toBooks ? toIssue(checkProductTypeValue(maps, values)) : undefined);
    if (issue) {
      result.failures.push({
        recordId: record.id,
        field: issue.field,
        reason: issue.reason,
        payload: record.data,
      });
      decide({ recordId: record.id, outcome: 'failed', detail: `${issue.field}: ${issue.reason}` });
      continue;
    }
    const sourceHash = contentHash(values);

    if (link) {
      const target = targets.get(targetIdOf(link));
      if (!target || target.deleted) {
        decide({
          recordId: record.id,
          outcome: 'skipped',
          skip: 'target_deleted',
          targetId: targetIdOf(link),
          detail: `its linked ${toBooks ? 'Books' : 'CRM'} record was deleted; deletes are not propagated`,
        });
        continue;
      }
      if (sourceHash === (toBooks ? link.contentHash.crm : link.contentHash.books)) {
        decide({ recordId: record.id, outcome: 'unchanged', targetId: target.id });
        continue;
      }
      const current = targetValues(target.data);
      const r = reconcile({
        fields,
        crm: toBooks ? values : current,
        books: toBooks ? current : values,
        base: link.lastSynced,
        crmModified: toBooks ? record.modifiedTime : target.modifiedTime,
        booksModified: toBooks ? target.modifiedTime : record.modifiedTime,
        initialWinner: toBooks ? 'crm' : 'books',
      });
      const push = withGroups(spec, toBooks ? r.toBooks : r.toCrm);
      const data = push.length ? writeTarget(target.data, values, push) : target.data;
      const after = push.length ? targetValues(data) : current;
      const linkWrite = nextLink(link, toBooks, values, after);
      const changedLink =
        stableStringify(linkWrite) !== stableStringify({ ...pick(link), deletedIn: undefined });
      if (push.length) result.writes.push(changeOf(target, data));
      if (push.length || changedLink) result.links.push(linkWrite);
      decide({
        recordId: record.id,
        outcome: push.length ? 'updated' : 'unchanged',
        targetId: target.id,
        detail: r.conflicts.length
          ? `${CONFLICTS_DETAIL}${r.conflicts.map((c) => `${c.field} → ${c.winner} (${c.rule})`).join(', ')}`
          : undefined,
      });
      continue;
    }

    // Not linked yet: look for a duplicate on the other side (S2.3).
    const key = normalizeName(toBooks ? spec.crmName(record.data) : spec.booksName(record.data));
    // Our own creation from an earlier attempt (a crash between the write and the link) is no duplicate: the
    // creation below rebuilds the same record under the same id and links it.
    const ownId = createdRecordId(input.integrationId, spec.entity, toBooks ? 'books' : 'crm', record.id);
    const ownEarlier = liveCandidateIds.has(ownId);
    const dupes = ownEarlier ? [] : (candidatesByName.get(key) ?? []).filter((c) => !claimed.has(c.id));
    let target: PageRecord | undefined;
    // Overwrite acts in the module's first direction only (S2.3); a duplicate met on the way back was left
    // unlinked on purpose (outside the view, or invalid) and is not replaced by the other side's data.
    const policy =
      input.duplicatePolicy === 'overwrite' && input.overwriteHere === false ? 'skip' : input.duplicatePolicy;
    if (dupes.length > 0 && policy === 'skip') {
      decide({
        recordId: record.id,
        outcome: 'skipped',
        skip: 'duplicate_exists',
        targetId: dupes[0]?.id,
        detail: 'duplicate exists (policy: skip)',
      });
      continue;
    }
    if (dupes.length > 0 && policy === 'overwrite') {
      if (dupes.length > 1) {
        const reason = `ambiguous duplicate: ${dupes.length} ${toBooks ? 'Books' : 'CRM'} records are named "${key}" (${dupes
          .map((d) => d.id)
          .join(', ')}); none was overwritten`;
        const field = toBooks ? spec.nameField.crm : spec.nameField.books;
        result.failures.push({ recordId: record.id, field, reason, payload: record.data });
        decide({ recordId: record.id, outcome: 'failed', detail: reason });
        continue;
      }
      target = dupes[0];
    }
    const side = toBooks ? 'books' : 'crm';
    const id = target?.id ?? createdRecordId(input.integrationId, spec.entity, side, record.id);
    const base = target?.data ?? (toBooks ? spec.newBooks() : {});
    const data = writeTarget(base, values, mappedCrmFields(maps));
    if (toBooks) data[spec.booksIdKey] = id;
    else data.id = id;
    claimed.add(id);
    const after = targetValues(data);
    result.writes.push(
      target
        ? changeOf(target, data)
        : { id, data, syncKey: syncKeyOf(input.integrationId, spec.entity, `${direction}:${record.id}`) },
    );
    result.links.push({
      crmId: toBooks ? record.id : id,
      booksId: toBooks ? id : record.id,
      lastSynced: toBooks ? { crm: values, books: after } : { crm: after, books: values },
      contentHash: toBooks
        ? { crm: sourceHash, books: contentHash(after) }
        : { crm: contentHash(after), books: sourceHash },
    });
    decide({
      recordId: record.id,
      outcome: target ? 'matched' : 'added',
      targetId: id,
      detail: target
        ? 'matched the existing record of the same name, overwritten and linked (policy: overwrite)'
        : dupes.length
          ? 'cloned (policy: clone)'
          : undefined,
    });
  }
  return result;
}

function complete(
  spec: KindSpec,
  data: Record<string, unknown>,
  written: Iterable<string>,
): Record<string, unknown> {
  return spec.completeBooks ? spec.completeBooks(data, new Set(written)) : data;
}

/** The fields to write, widened to the groups the kind writes together. */
function withGroups(spec: KindSpec, fields: readonly string[]): string[] {
  const group = spec.writtenTogether;
  if (!group || !fields.some((f) => group.includes(f))) return [...fields];
  return [...new Set([...fields, ...group])];
}

function toIssue(reason: string | undefined): { field: string; reason: string } | undefined {
  if (!reason) return undefined;
  const [field, ...rest] = reason.split(': ');
  return { field: field ?? '(record)', reason: rest.join(': ') };
}

function pick(link: LinkState): LinkWrite {
  return {
    crmId: link.crmId,
    booksId: link.booksId,
    lastSynced: link.lastSynced,
    contentHash: { crm: link.contentHash.crm ?? '', books: link.contentHash.books ?? '' },
  };
}

/**
 * The link after a step: fields now equal on both sides (pushed, or already converged) get that value as the
 * base of both sides; fields still apart keep their old bases, so the other direction's step sees its change.
 */
function nextLink(
  link: LinkState,
  toBooks: boolean,
  source: FieldValues,
  targetAfter: FieldValues,
): LinkWrite {
  const crm = toBooks ? source : targetAfter;
  const books = toBooks ? targetAfter : source;
  const baseCrm: FieldValues = { ...link.lastSynced.crm };
  const baseBooks: FieldValues = { ...link.lastSynced.books };
  for (const field of new Set([...Object.keys(crm), ...Object.keys(books)])) {
    const c = crm[field] ?? null;
    if (stableStringify(c) === stableStringify(books[field] ?? null)) {
      baseCrm[field] = c;
      baseBooks[field] = c;
    }
  }
  // The source side is hashed as it is now (seen), the target side as its new base: a change on the target
  // side this step did not move keeps its hash apart, so the other direction's step still picks it up.
  const project = (base: FieldValues, shape: FieldValues): FieldValues =>
    Object.fromEntries(Object.keys(shape).map((k) => [k, base[k] ?? null]));
  return {
    crmId: link.crmId,
    booksId: link.booksId,
    lastSynced: { crm: baseCrm, books: baseBooks },
    contentHash: toBooks
      ? { crm: contentHash(source), books: contentHash(project(baseBooks, targetAfter)) }
      : { crm: contentHash(project(baseCrm, targetAfter)), books: contentHash(source) },
  };
}
