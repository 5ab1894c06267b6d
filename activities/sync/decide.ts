import { decideContactPersons, decidePersonContacts } from '../../domain/sync/contact-persons';
import { decidePage, type DecidePageResult } from '../../domain/sync/decide';
import { moduleConfigOf } from '../../domain/sync/kinds';
import { belongsToStepOf, embedsKindOf, overwritesHere, splitLongNames } from '../../domain/sync/step-rules';
import type { StoredRecord } from '../../stores/record-store';
import type { KindSettings } from './context';
import { loadPersonContactInputs, loadPersonInputs, loadRecordInputs, toPageRecord } from './load';
import type { ChunkContext, Data, SyncDeps } from './types';

/*
 * The decide phase of a chunk: what the load phase read, handed to the pure deciders of domain/sync/ with the
 * step's rules (domain/sync/step-rules.ts). Nothing here is written.
 */

type Page = StoredRecord<Data>[];

/** Decides a chunk's records: contact persons by their own rules, every other kind by decidePage. */
export async function decideChunk(
  deps: SyncDeps,
  settings: KindSettings,
  c: ChunkContext,
  page: Page,
): Promise<DecidePageResult> {
  const state = deps.syncState;
  const inView = (data: Data) => (c.view ? c.view.matches(data) : true);
  if (c.step.kind === 'contact_person')
    return c.step.direction === 'crm_to_books'
      ? decideContactPersons({
          integrationId: c.integrationId,
          maps: c.maps,
          records: page.map(toPageRecord),
          inView,
          includeOrphans: c.config.customers.includeOrphanContacts,
          ...(await loadPersonInputs(state, c, page)),
          runStartedAt: c.runStartedAt,
        })
      : decidePersonContacts({
          integrationId: c.integrationId,
          maps: c.maps,
          records: page.map(toPageRecord),
          ...(await loadPersonContactInputs(state, c, page)),
        });
  const { fit, refused } = splitLongNames(c.spec, c.step.direction, page);
  const belongsToStep = belongsToStepOf(c.step);
  const decided = decidePage({
    spec: c.spec,
    direction: c.step.direction,
    integrationId: c.integrationId,
    maps: c.maps,
    duplicatePolicy: moduleConfigOf(c.config, c.spec.kind).duplicatePolicy,
    overwriteHere: overwritesHere(c.config, c.step),
    books: c.books,
    records: fit.map(toPageRecord),
    inView,
    ...(await loadRecordInputs(state, c, fit)),
    ...(belongsToStep ? { belongsToStep } : {}),
  });
  if (embedsKindOf(c.config, c.step) === 'contact_person')
    await embedContactPersons(deps, settings, decided, c);
  decided.failures.push(...refused.failures);
  decided.decisions.push(...refused.decisions);
  decided.counts.failed += refused.counts.failed;
  return decided;
}

/**
 * New Business customers take their account's contacts as contact persons in the same insert. The
 * contact-person step then finds them in place (unchanged) instead of rewriting every new customer — on
 * FerretDB an update costs tens of milliseconds, an insert a fraction of one.
 */
async function embedContactPersons(
  deps: SyncDeps,
  settings: KindSettings,
  decided: DecidePageResult,
  c: ChunkContext,
): Promise<void> {
  const created = decided.decisions.flatMap((d) =>
    d.outcome === 'added' && d.targetId ? [{ crmId: d.recordId, booksId: d.targetId }] : [],
  );
  if (created.length === 0) return;
  const { integration } = c;
  const contacts = await deps.crm.findContactsByAccountIds(
    integration.crmOrgId,
    created.map((a) => a.crmId),
  );
  if (contacts.length === 0) return;
  const view = await settings.viewOf(integration.crmOrgId, c.config, 'contact_person');
  const writes = new Map(decided.writes.map((w) => [w.id, w]));
  const persons = decideContactPersons({
    integrationId: c.integrationId,
    maps: await settings.mapsOf(integration.booksOrgId, c.config, 'contact_person'),
    records: contacts.map(toPageRecord),
    inView: (data) => (view ? view.matches(data) : true),
    includeOrphans: true,
    accountLinks: created,
    personLinks: [],
    customers: created.flatMap((a) => {
      const w = writes.get(a.booksId);
      return w ? [{ id: w.id, data: w.data, modifiedTime: new Date(0).toISOString(), deleted: false }] : [];
    }),
  });
  for (const w of persons.writes) {
    const write = writes.get(w.id);
    if (write) write.data = w.data;
  }
  decided.extraLinks = { entity: 'contact_person', crmModule: 'Contacts', links: persons.links };
  // The persons are counted by their own step, which finds them in place and linked in this run: added.
}
