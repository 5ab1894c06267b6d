import { FieldMapError, resolveFieldMaps, type ResolvedFieldMap } from '../domain/sync/field-maps';
import { kindSpecOf, type SyncKind } from '../domain/sync/kinds';
import {
  integrationIdOf,
  type DeltaCursor,
  type Environment,
  type IntegrationConfig,
  type LinkEntity,
} from '../domain/sync-state-schemas';
import { compileView, ViewError } from '../domain/views';
import {
  verifyScopes,
  verifyStores,
  type VerifyFailure,
  type VerifyLink,
  type VerifyRecord,
  type VerifyReport,
} from '../domain/verify';
import type { BooksStore } from '../stores/books-store';
import type { CrmStore } from '../stores/crm-store';
import { MAX_DELTA_PAGE } from '../stores/delta';
import type { ChangedPage } from '../stores/record-store';
import type { SyncStateStore } from '../stores/sync-state-store';
import { OperationError } from './types';

/*
 * Reads what `verify` compares (domain/verify.ts): every record of the synced modules of both orgs, every link
 * of the integration's master-data entities and its open failures. Each collection is read in delta pages of
 * the largest size the stores take, so on FerretDB (where every such read scans its collection) a collection of
 * up to 50,000 records costs one scan; Books contacts are read once for customers and vendors together.
 */

export interface VerifyDeps {
  crm: CrmStore;
  books: BooksStore;
  syncState: SyncStateStore;
}

const ENTITIES: readonly LinkEntity[] = ['customer', 'contact_person', 'vendor', 'item'];
/** The most open failures one read returns (the store's limit); the rest are read per module. */
const FAILURE_READ = 10_000;
const MODULES = ['customers', 'vendors', 'items'] as const;

type Data = Record<string, unknown>;
type CrmModuleName = 'Accounts' | 'Contacts' | 'Vendors' | 'Products';

/**
 * Compares the integration's two stores under its configuration and field maps, and reports every in-scope
 * record that is neither linked, nor failed, nor excluded by a stated rule; every linked pair whose mapped
 * values differ; every record linked twice and every link whose record is missing. Read-only, so safe to repeat;
 * a sync running meanwhile may show up as differences (run it between syncs). Throws an OperationError:
 * not_found without the integration, conflict when its field maps or views cannot be applied; a ZodError
 * for a malformed org id (the operations check ids first); the driver's error when a server fails.
 */
export async function verifyIntegration(
  deps: VerifyDeps,
  crmOrgId: string,
  booksOrgId: string,
  environment: Environment = 'production',
): Promise<VerifyReport> {
  const integrationId = integrationIdOf(crmOrgId, booksOrgId, environment);
  const integration = await deps.syncState.getIntegration(integrationId);
  if (!integration) throw new OperationError('not_found', `no integration ${integrationId}: enable it first`);
  const { config } = integration;
  const kinds = verifyScopes(config).map((s) => s.kind);
  const [maps, inView] = await Promise.all([
    mapsOf(deps.books, booksOrgId, config, kinds),
    viewsOf(deps.crm, crmOrgId, config, kinds),
  ]);

  const links = await readLinks(deps.syncState, integrationId);
  // The CRM modules the configuration syncs, and those its links point into (a module synced before a change
  // of configuration keeps its links).
  const crmModules = new Set<CrmModuleName>([
    ...kinds.map((k) => kindSpecOf(k).crmModule),
    ...links.flatMap((l) => (isCrmModule(l.crmModule) ? [l.crmModule] : [])),
  ]);
  const readCrm = (m: CrmModuleName) =>
    crmModules.has(m)
      ? readRecords((after, limit) => deps.crm.module(m).findChangedSince(crmOrgId, after, limit))
      : [];
  const [Accounts, Contacts, Vendors, Products, contacts, items, openFailures] = await Promise.all([
    readCrm('Accounts'),
    readCrm('Contacts'),
    readCrm('Vendors'),
    readCrm('Products'),
    readRecords((after, limit) => deps.books.module('contacts').findChangedSince(booksOrgId, after, limit)),
    readRecords((after, limit) => deps.books.module('items').findChangedSince(booksOrgId, after, limit)),
    readOpenFailures(deps.syncState, integrationId),
  ]);
  return verifyStores({
    integrationId,
    config,
    crm: { Accounts, Contacts, Vendors, Products },
    books: { contacts, items },
    links,
    openFailures,
    maps,
    inView,
  });
}

function isCrmModule(m: string): m is CrmModuleName {
  return m === 'Accounts' || m === 'Contacts' || m === 'Vendors' || m === 'Products';
}

/**
 * Every record of one org's module, deleted ones included; a record written during the read counts once. A
 * stored record that no longer parses (`unreadable`) is judged on what it holds: the sync fails it alone, so
 * it is in scope like any other, and excluded only by its open failure.
 */
async function readRecords(
  read: (after: DeltaCursor | null, limit: number) => Promise<ChangedPage<Data>>,
): Promise<VerifyRecord[]> {
  const byId = new Map<string, VerifyRecord>();
  let after: DeltaCursor | null = null;
  for (;;) {
    const page = await read(after, MAX_DELTA_PAGE);
    for (const r of page.records) byId.set(r.id, { id: r.id, data: r.data, deleted: r.deleted });
    for (const u of page.unreadable ?? []) byId.set(u.id, { id: u.id, data: u.data, deleted: false });
    if (!page.next) return [...byId.values()];
    after = page.next;
  }
}

async function readLinks(syncState: SyncStateStore, integrationId: string): Promise<VerifyLink[]> {
  const byId = new Map<string, VerifyLink>();
  let after: DeltaCursor | null = null;
  for (;;) {
    const page = await syncState.findLinksChangedSince(integrationId, {
      after,
      limit: MAX_DELTA_PAGE,
      entities: ENTITIES,
    });
    for (const l of page.docs)
      byId.set(l._id, {
        entity: l.entity,
        crmModule: l.crmModule,
        crmId: l.crmId,
        booksId: l.booksId,
        deletedIn: l.deletedIn,
        parentBooksId: l.parentBooksId,
      });
    if (!page.next) return [...byId.values()];
    after = page.next;
  }
}

/** The open failures: one read, or one per module when there are more than one read returns. */
async function readOpenFailures(syncState: SyncStateStore, integrationId: string): Promise<VerifyFailure[]> {
  const all = await syncState.listFailures(integrationId, { status: 'open', limit: FAILURE_READ });
  const docs =
    all.length < FAILURE_READ
      ? all
      : (
          await Promise.all(
            MODULES.map((module) =>
              syncState.listFailures(integrationId, { status: 'open', module, limit: FAILURE_READ }),
            ),
          )
        ).flat();
  return docs.map((f) => ({ module: f.module, direction: f.direction, recordId: f.recordId }));
}

/** The field maps of each kind, resolved as the configuration states them (contact persons keep the defaults). */
async function mapsOf(
  books: BooksStore,
  booksOrgId: string,
  config: IntegrationConfig,
  kinds: readonly SyncKind[],
): Promise<Partial<Record<SyncKind, ResolvedFieldMap[]>>> {
  const custom = {
    contacts: await books.listCustomFields(booksOrgId, 'contacts'),
    items: await books.listCustomFields(booksOrgId, 'items'),
  };
  const out: Partial<Record<SyncKind, ResolvedFieldMap[]>> = {};
  for (const kind of kinds) {
    const module = kind === 'vendor' ? config.vendors : kind === 'item' ? config.items : config.customers;
    const defs = custom[kindSpecOf(kind).booksModule].flatMap((f) =>
      f.api_name ? [{ api_name: f.api_name }] : [],
    );
    try {
      out[kind] = resolveFieldMaps(kind, kind === 'contact_person' ? [] : module.fieldMaps, defs);
    } catch (err) {
      if (err instanceof FieldMapError)
        throw new OperationError('conflict', `cannot verify: ${err.message}`, err.problems);
      throw err;
    }
  }
  return out;
}

/** The chosen CRM view of each kind, compiled against the integration's owner and the current time. */
async function viewsOf(
  crm: CrmStore,
  crmOrgId: string,
  config: IntegrationConfig,
  kinds: readonly SyncKind[],
): Promise<Partial<Record<SyncKind, (data: Data) => boolean>>> {
  const chosen: Record<SyncKind, string | undefined> = {
    account: config.customers.accountViewId,
    contact: config.customers.contactViewId,
    contact_person: config.customers.contactViewId,
    vendor: config.vendors.viewId,
    item: config.items.viewId,
  };
  const now = new Date().toISOString();
  const out: Partial<Record<SyncKind, (data: Data) => boolean>> = {};
  for (const kind of kinds) {
    const viewId = chosen[kind];
    if (viewId === undefined) continue;
    const view = await crm.getView(crmOrgId, viewId);
    if (!view)
      throw new OperationError(
        'conflict',
        `cannot verify: CRM view ${viewId} does not exist in org ${crmOrgId}`,
      );
    try {
      const filter = compileView(view, {
        module: kindSpecOf(kind).crmModule,
        currentUserId: config.ownerUserId ?? '',
        now,
      });
      out[kind] = (data) => filter.matches(data);
    } catch (err) {
      if (err instanceof ViewError) throw new OperationError('conflict', `cannot verify: ${err.message}`);
      throw err;
    }
  }
  return out;
}
