import { ApplicationFailure } from '@temporalio/activity';
import { ErrorType } from '../../domain/errors';
import type { FinanceKind } from '../../domain/finance/documents';
import { documentSpecOfModule, type DocumentSpec } from '../../domain/sync/documents';
import {
  documentDependencies,
  type DocumentDependency,
  type DocumentLinks,
} from '../../domain/sync/documents/mapping';
import { kindSpecOf, type SyncKind } from '../../domain/sync/kinds';
import { kindOfCrmModule } from '../../domain/sync/plan';
import {
  failureIdOf,
  livesInBooks,
  type IntegrationDoc,
  type LinkEntity,
} from '../../domain/sync-state-schemas';
import type { FieldProblem } from '../../domain/validation';
import type { StoredRecord } from '../../stores/record-store';
import { stripDollarKeys } from '../sync/apply';
import type { Data, DocumentDeps, DocumentRef } from './types';

/*
 * What every document activity reads first: the integration, the document's spec and its CRM record, and
 * the links of what it needs in Books. A document that cannot be pushed at all (transaction sync off, the
 * integration not active, the record gone) comes back as problems, never as a thrown error: the workflow
 * records them and waits for the next change.
 */

export interface LoadedDocument {
  integration: IntegrationDoc;
  spec: DocumentSpec;
  kind: FinanceKind;
  record: StoredRecord<Data>;
}

export type Loaded = { ok: true; doc: LoadedDocument } | { ok: false; problems: FieldProblem[] };

const refusal = (field: string, reason: string): Loaded => ({ ok: false, problems: [{ field, reason }] });

/** The integration and the CRM document, or why the document is not pushed. */
export async function loadDocument(deps: DocumentDeps, ref: DocumentRef): Promise<Loaded> {
  const integration = await deps.syncState.getIntegration(ref.integrationId);
  if (!integration)
    throw ApplicationFailure.nonRetryable(`no integration ${ref.integrationId}`, ErrorType.NotFound);
  const spec = documentSpecOfModule(ref.crmModule);
  if (!spec)
    throw ApplicationFailure.nonRetryable(
      `${ref.crmModule} is no finance module`,
      ErrorType.ValidationFailed,
    );
  if (integration.status !== 'active')
    return refusal('(integration)', `the integration is ${integration.status}`);
  if (!integration.config.transactionSync)
    return refusal('transactionSync', 'transaction sync is off on the integration (S4.1)');
  const [record] = await deps.crm.records(ref.crmModule).findByIds(integration.crmOrgId, [ref.crmId]);
  if (!record || record.deleted)
    return refusal('(record)', `the CRM ${spec.label} ${ref.crmId} does not exist or was deleted`);
  return { ok: true, doc: { integration, spec, kind: spec.kind, record } };
}

/** The link entity and the sync kind of each kind of dependency, under the integration's configuration. */
function dependencyKind(
  integration: IntegrationDoc,
  dep: DocumentDependency,
): { entity: LinkEntity; kind: SyncKind | null } {
  if (dep.crmModule === 'Products') return { entity: 'item', kind: 'item' };
  if (dep.crmModule === 'Vendors') return { entity: 'vendor', kind: 'vendor' };
  return { entity: 'customer', kind: kindOfCrmModule(integration.config, 'Accounts') };
}

export interface DependencyLinks extends DocumentLinks {
  /** The dependencies with no live link, each with the kind that would sync it. */
  missing: { dep: DocumentDependency; kind: SyncKind | null }[];
}

/** The Books ids of a document's dependencies, with one query per link collection. */
export async function linkDependencies(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  wanted: readonly DocumentDependency[],
): Promise<DependencyLinks> {
  const typed = wanted.map((dep) => ({ dep, ...dependencyKind(integration, dep) }));
  const entities = [...new Set(typed.map((t) => t.entity))];
  const links = await deps.syncState.findLinkIdentitiesByCrmIdsOf(
    integration._id,
    entities.map((entity) => ({
      entity,
      crmIds: typed.filter((t) => t.entity === entity).map((t) => t.dep.crmId),
    })),
  );
  // A link whose Books record was deleted names nothing to post against.
  const booksIdOf = (entity: LinkEntity, crmId: string) =>
    links.find((l) => l.entity === entity && l.crmId === crmId && livesInBooks(l))?.booksId;
  const items: Record<string, string> = {};
  let party: string | undefined;
  const missing: DependencyLinks['missing'] = [];
  for (const t of typed) {
    const booksId = booksIdOf(t.entity, t.dep.crmId);
    if (booksId === undefined) missing.push({ dep: t.dep, kind: t.kind });
    else if (t.dep.crmModule === 'Products') items[t.dep.crmId] = booksId;
    else party = booksId;
  }
  return { party, items, missing };
}

/** What the document needs in Books and how much of it is linked, or why it names no valid dependencies. */
export async function documentLinks(
  deps: DocumentDeps,
  doc: LoadedDocument,
): Promise<{ ok: true; links: DependencyLinks } | { ok: false; problems: FieldProblem[] }> {
  const wanted = documentDependencies(doc.kind, doc.record.data);
  if (!wanted.ok) return wanted;
  return { ok: true, links: await linkDependencies(deps, doc.integration, [wanted.party, ...wanted.items]) };
}

/**
 * Why each missing dependency is not in Books: the open failure its sync recorded (S9.2: a dependency that
 * cannot be synced fails the document with that dependency's reason), else that it was not synced.
 */
export async function missingReasons(
  deps: DocumentDeps,
  integration: IntegrationDoc,
  missing: DependencyLinks['missing'],
): Promise<FieldProblem[]> {
  const idOf = (m: DependencyLinks['missing'][number]) =>
    m.kind === null
      ? undefined
      : failureIdOf(integration._id, kindSpecOf(m.kind).module, 'crm_to_books', m.dep.crmId);
  const ids = missing.flatMap((m) => idOf(m) ?? []);
  const failures = ids.length === 0 ? [] : await deps.syncState.getFailures(ids);
  return missing.map((m) => {
    const failure = failures.find((f) => f._id === idOf(m) && f.status === 'open');
    const what = `CRM ${m.dep.crmModule} record ${m.dep.crmId}`;
    if (m.kind === null)
      return { field: m.dep.field, reason: `${what}: the integration does not sync ${m.dep.crmModule}` };
    const why = failure ? `${failure.field}: ${failure.reason}` : 'it was not synced (outside the view?)';
    return { field: m.dep.field, reason: `${what} could not be synced to Books: ${why}` };
  });
}

/** Records a refused document as a failure of its Books module, for reprocessing once fixed. */
export async function recordRefusal(
  deps: DocumentDeps,
  ref: DocumentRef & { workflowId: string },
  spec: DocumentSpec,
  problems: readonly FieldProblem[],
  payload: Data,
): Promise<void> {
  const first = problems[0] ?? { field: '(record)', reason: 'refused' };
  await deps.syncState.recordFailures([
    {
      integrationId: ref.integrationId,
      runId: ref.workflowId,
      module: spec.booksModule,
      direction: 'crm_to_books',
      recordId: ref.crmId,
      field: first.field.slice(0, 300),
      reason: problems
        .map((p) => `${p.field}: ${p.reason}`)
        .join('; ')
        .slice(0, 2000),
      payload: stripDollarKeys(payload),
    },
  ]);
}

/** YYYY-MM-DD of the activity's clock. */
export function todayOf(deps: DocumentDeps): string {
  return (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
}
