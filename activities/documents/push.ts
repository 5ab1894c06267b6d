import { selfChangeAt } from '../../domain/finance/payments';
import { isFinalStatus, lifecycleStatus } from '../../domain/finance/states';
import { customFieldsToBooks } from '../../domain/sync/documents/custom-fields';
import { crmSideHash, toBooksDocument } from '../../domain/sync/documents/mapping';
import { createdRecordId, syncKeyOf } from '../../domain/sync/kinds';
import type { StepTarget } from '../../domain/sync/plan';
import { failureIdOf } from '../../domain/sync-state-schemas';
import type { FieldProblem } from '../../domain/validation';
import { updateCrmCopy } from './crm-copy';
import {
  documentLinks,
  loadDocument,
  missingReasons,
  recordRefusal,
  todayOf,
  type LoadedDocument,
} from './load';
import type {
  Data,
  DocumentDeps,
  PushDocumentInput,
  PushDocumentResult,
  ReadDocumentDependenciesInput,
  ReadDocumentDependenciesResult,
} from './types';

/**
 * What of a document is not yet in Books: the targets of its dependency run. Read-only. Workflows that
 * began before `push-reads-dependencies` call it; newer ones ask pushDocument (`askForDependencies`).
 */
export async function readDocumentDependencies(
  deps: DocumentDeps,
  input: ReadDocumentDependenciesInput,
): Promise<ReadDocumentDependenciesResult> {
  const loaded = await loadDocument(deps, input);
  if (!loaded.ok) return loaded;
  const linked = await documentLinks(deps, loaded.doc);
  if (!linked.ok) return linked;
  return { ok: true, kind: loaded.doc.kind, targets: dependencyTargets(linked.links.missing) };
}

type MissingDependencies = Extract<
  Awaited<ReturnType<typeof documentLinks>>,
  { ok: true }
>['links']['missing'];

/** The dependency run's targets for what is missing in Books, by kind. */
function dependencyTargets(missing: MissingDependencies): StepTarget[] {
  const byKind = new Map<string, string[]>();
  for (const { dep, kind: depKind } of missing) {
    // A module the integration does not sync has no run to bring it: pushDocument says so.
    if (depKind === null) continue;
    byKind.set(depKind, [...(byKind.get(depKind) ?? []), dep.crmId]);
  }
  return [...byKind].map(([k, ids]) => ({
    kind: k as NonNullable<MissingDependencies[number]['kind']>,
    direction: 'crm_to_books' as const,
    ids: [...new Set(ids)],
  }));
}

/**
 * Pushes a CRM document to Books once its dependencies are there: the Books document's id is derived from
 * the CRM id and it is written only if absent (or, while still a draft, updated), so a retry after a crash
 * between the Books write and the link write finds it and creates no second one; then the link, then the
 * CRM copy's Books figures. A refusal (a dependency that could not be synced, a currency or tax the org
 * lacks) is recorded as the document's failure and returned. Idempotent.
 */
export async function pushDocument(
  deps: DocumentDeps,
  input: PushDocumentInput,
): Promise<PushDocumentResult> {
  const loaded = await loadDocument(deps, input);
  if (!loaded.ok) return loaded;
  const doc = loaded.doc;
  const refuse = async (problems: FieldProblem[]): Promise<PushDocumentResult> => {
    await recordRefusal(deps, input, doc.spec, problems, doc.record.data);
    return { ok: false, problems };
  };
  const { integration, kind, record, spec } = doc;
  const linked = await documentLinks(deps, doc);
  if (!linked.ok) return refuse(linked.problems);
  const { links } = linked;
  if (links.missing.length > 0) {
    const targets = input.askForDependencies ? dependencyTargets(links.missing) : [];
    if (targets.length > 0) return { ok: false, dependencies: targets };
    return refuse(await missingReasons(deps, integration, links.missing));
  }
  const org = await deps.financeBooks.orgSettings(integration.booksOrgId);
  if (!org)
    return refuse([{ field: '(integration)', reason: `Books org ${integration.booksOrgId} is not known` }]);

  const booksId = await booksIdOf(deps, doc);
  const mapped = toBooksDocument({ kind, crm: record.data, booksId, links, org, today: todayOf(deps) });
  if (!mapped.ok) return refuse(mapped.problems);
  const { books, created } = await writeBooksDocument(deps, doc, booksId, mapped.books);
  await deps.syncState.upsertLinks([
    {
      integrationId: integration._id,
      entity: kind,
      crmModule: spec.crmModule,
      crmId: record.id,
      booksId,
      lastSynced: { crm: {}, books: {} },
      // What was pushed: the poller tells the pull-back's own CRM write from a change by it (poll.ts).
      contentHash: { crm: crmSideHash(record.data) },
    },
  ]);
  const copy = await updateCrmCopy(deps, doc, books, org);
  if (!copy.ok) return refuse(copy.problems);
  await deps.syncState.markFailuresResolved([
    failureIdOf(integration._id, spec.booksModule, 'crm_to_books', record.id),
  ]);
  return {
    ok: true,
    booksId,
    created,
    status: copy.status,
    final: isFinalStatus(kind, copy.status),
    followAt: selfChangeAt(kind, { ...books, status: copy.status }),
    version: record.modifiedTime.toISOString(),
  };
}

/** The Books id the document is linked to, else the one derived from its CRM id. */
async function booksIdOf(deps: DocumentDeps, doc: LoadedDocument): Promise<string> {
  const { integration, kind, record } = doc;
  const [link] = await deps.syncState.findLinksByCrmIds(integration._id, kind, [record.id]);
  return link?.booksId ?? createdRecordId(integration._id, kind, 'books', record.id);
}

/**
 * Inserts the Books document if absent. One that exists is updated only while Books still holds it as a
 * draft (keeping its status): once sent, Books owns it and its changes come back instead.
 */
async function writeBooksDocument(
  deps: DocumentDeps,
  doc: LoadedDocument,
  booksId: string,
  mapped: Data,
): Promise<{ books: Data; created: boolean }> {
  const { integration, kind, record, spec } = doc;
  const collection = deps.financeBooks.records(spec.booksModule);
  const [existing] = await collection.findByIds(integration.booksOrgId, [booksId]);
  const syncKey = syncKeyOf(integration._id, kind, record.id);
  if (!existing) {
    await collection.upsertMany(integration.booksOrgId, [{ id: booksId, data: mapped, syncKey }]);
    return { books: mapped, created: true };
  }
  const status = String(existing.data.status);
  if (lifecycleStatus(kind, status) !== 'draft') return { books: existing.data, created: false };
  // Custom fields merge by name: the CRM sets its own, the Books document keeps its others (S4.2).
  const customFields = customFieldsToBooks(record.data, existing.data);
  const books = { ...existing.data, ...mapped, status, ...(customFields && { custom_fields: customFields }) };
  await collection.upsertMany(integration.booksOrgId, [{ id: booksId, data: books, syncKey }]);
  return { books, created: false };
}
