import { timingSafeEqual } from 'node:crypto';
import {
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  isGrpcServiceError,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  integrationIdOf,
  livesInBooks,
  type FailureDoc,
  type IntegrationDoc,
  type LinkEntity,
  type RunDoc,
} from '../domain/sync-state-schemas';
import { ErrorType } from '../domain/errors';
import { DISPLAY_NAME_OF, accountIdOf, kindSpecOf, type SyncKind } from '../domain/sync/kinds';
import { kindOfCrmModule } from '../domain/sync/plan';
import { SKIP_REASONS, type SkipReason } from '../domain/sync/skips';
import { integrationHandle, startEnableIntegration } from '../client';
import type { BooksStore } from '../stores/books-store';
import type { CrmStore } from '../stores/crm-store';
import type { SyncStateStore } from '../stores/sync-state-store';
import {
  configureUpdate,
  crmChangedSignal,
  disableUpdate,
  instantSyncUpdate,
  integrationStatusQuery,
  pauseUpdate,
  resumeUpdate,
  targetedRunUpdate,
  type IntegrationStatus,
  type RunTarget,
  type TargetedRunRequest,
} from '../workflows/messages';
import {
  ActorInputSchema,
  AuditQuerySchema,
  BooksFromCrmQuerySchema,
  ConfigureInputSchema,
  CrmNotificationSchema,
  CrmSearchQuerySchema,
  EnableInputSchema,
  FailuresQuerySchema,
  FetchInputSchema,
  HistoryQuerySchema,
  ImportInputSchema,
  IntegrationRefSchema,
  OperationError,
  ReprocessInputSchema,
  parseRequest,
  type BooksFromCrmEntry,
  type CrmSearchHit,
  type FailureView,
  type FetchResult,
  type IntegrationRef,
  type IntegrationSummary,
  type RunView,
  type SyncOperations,
} from './types';
import { signalNotifiedDeals } from './deals';
import { signalNotifiedDocuments } from './documents';
import { refuseSandboxEnable, scheduleSandboxModules } from './sandbox';
import { scheduleSubscriptionsSync } from './subscriptions';
import { verifyIntegration } from './verify';
import { createWorkflowCalls, type CallWaits } from './workflow-calls';

export interface OperationsDeps {
  temporal: Client;
  taskQueue: string;
  syncState: SyncStateStore;
  crm: CrmStore;
  books: BooksStore;
  /** The verification token CRM notifications must carry (S9.7); the webhook refuses all when unset. */
  webhookToken?: string;
  /** How long calls to the integration's workflow may wait (api/workflow-calls.ts); shorter in tests. */
  waits?: Partial<CallWaits>;
  /** How long a sandbox enable's scheduled job waits before creating the finance modules (S8.3); 5 minutes. */
  sandboxModulesDelayMs?: number;
}

type Data = Record<string, unknown>;
const CUSTOMER_ENTITY = 'customer';

/**
 * The service's operations over Temporal and MongoDB: reads come straight from the stores; every change
 * goes through the integration's entity workflow (its updates validate, serialise and audit), so the CLI, the
 * HTTP API and a workflow's own schedule never race each other.
 */
export function createOperations(deps: OperationsDeps): SyncOperations {
  const { syncState } = deps;
  const calls = createWorkflowCalls({
    temporal: deps.temporal,
    taskQueue: deps.taskQueue,
    ...(deps.waits && { waits: deps.waits }),
  });

  const refOf = (raw: IntegrationRef) => {
    const ref = parseRequest(IntegrationRefSchema, raw, 'integration');
    return { ...ref, integrationId: integrationIdOf(ref.crmOrgId, ref.booksOrgId, ref.environment) };
  };

  async function integrationDoc(raw: IntegrationRef): Promise<IntegrationDoc> {
    const ref = refOf(raw);
    const doc = await syncState.getIntegration(ref.integrationId);
    if (!doc) throw new OperationError('not_found', `no integration ${ref.integrationId}: enable it first`);
    return doc;
  }

  /** Runs a Temporal call against the integration's workflow, turning its refusals into OperationErrors. */
  async function viaWorkflow<T>(integrationId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      throw fromTemporal(err, integrationId);
    }
  }

  async function status(raw: IntegrationRef): Promise<IntegrationStatus | null> {
    const ref = refOf(raw);
    try {
      return await calls.query(integrationHandle(deps.temporal, ref), integrationStatusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || isNotFound(err)) return null;
      throw err;
    }
  }

  async function targetedRun(raw: IntegrationRef, request: TargetedRunRequest) {
    const ref = refOf(raw);
    return viaWorkflow(ref.integrationId, () =>
      calls.update(integrationHandle(deps.temporal, ref), targetedRunUpdate, request, request.reason, {
        resultMs: calls.waits.runResultMs,
      }),
    );
  }

  /** S3.3 / S3.4: one CRM record now, as a targeted run; returns the Books record it is linked to after. */
  async function fetchOne(
    raw: IntegrationRef,
    crmModule: 'Accounts' | 'Contacts' | 'Vendors',
    crmId: string,
    reason: 'fetch' | 'import',
    actor: { id: string; name?: string } | undefined,
  ): Promise<FetchResult> {
    const doc = await integrationDoc(raw);
    const [record] = await deps.crm.module(crmModule).findByIds(doc.crmOrgId, [crmId]);
    if (!record || record.deleted)
      throw new OperationError(
        'not_found',
        `CRM ${crmModule} record ${crmId} does not exist in org ${doc.crmOrgId}`,
      );
    const kind = kindOfCrmModule(doc.config, crmModule);
    if (!kind)
      throw new OperationError(
        'conflict',
        `customers sync the CRM module "${doc.config.customers.module}": ${crmModule} records are not synced`,
      );
    const run = await targetedRun(raw, {
      targets: [{ kind, direction: 'crm_to_books', ids: [crmId] }],
      reason,
      ...(actor && { actor }),
    });
    const entity = kindSpecOf(kind).entity;
    const [link] = await syncState.findLinksByCrmIds(doc._id, entity, [crmId]);
    return { run, crmModule, crmId, booksId: link?.booksId ?? null };
  }

  /** The ids of the failures whose record is now linked (by CRM id or Books id, per direction). */
  async function linkedFailures(integrationId: string, failures: FailureDoc[]): Promise<Set<string>> {
    const linked = new Set<string>();
    const groups = new Map<string, FailureDoc[]>();
    for (const f of failures) {
      const kind = f.kind ?? kindOfFailure(f);
      if (!kind) continue;
      const key = `${kindSpecOf(kind).entity}|${f.direction}`;
      groups.set(key, [...(groups.get(key) ?? []), f]);
    }
    for (const [key, group] of groups) {
      const [entity, direction] = key.split('|') as [LinkEntity, string];
      const ids = group.map((f) => f.recordId);
      const links =
        direction === 'crm_to_books'
          ? await syncState.findLinksByCrmIds(integrationId, entity, ids)
          : await syncState.findLinksByBooksIds(integrationId, entity, ids);
      const found = new Set(links.map((l) => (direction === 'crm_to_books' ? l.crmId : l.booksId)));
      for (const f of group) if (found.has(f.recordId)) linked.add(f._id);
    }
    return linked;
  }

  return {
    async enable(raw) {
      const input = parseRequest(EnableInputSchema, raw, 'integration');
      const integrationId = integrationIdOf(input.crmOrgId, input.booksOrgId, input.environment);
      // Checked before any workflow starts, so an unknown org writes nothing anywhere.
      const crmOrg = await deps.crm.getOrg(input.crmOrgId);
      if (!crmOrg) throw new OperationError('not_found', `CRM org ${input.crmOrgId} is not known`);
      const booksOrg = await deps.books.getOrganization(input.booksOrgId);
      if (!booksOrg) throw new OperationError('not_found', `Books org ${input.booksOrgId} is not known`);
      refuseSandboxEnable({ ...input, crmOrg, booksOrg });
      const result = await viaWorkflow(integrationId, async () => {
        await calls.requireWorker();
        const window = calls.requestWindow();
        return calls.send('enable', window, () =>
          startEnableIntegration(deps.temporal, deps.taskQueue, {
            crmOrgId: input.crmOrgId,
            booksOrgId: input.booksOrgId,
            environment: input.environment,
            config: input.config,
            syncNow: input.syncNow,
            ...(input.actor && { actor: input.actor }),
            ...window,
          }),
        );
      });
      const scheduled = await scheduleSandboxModules(
        deps.temporal,
        deps.taskQueue,
        { ...input, integrationId },
        deps.sandboxModulesDelayMs,
      );
      await scheduleSubscriptionsSync(deps.temporal, deps.taskQueue, input);
      return { integrationId, ...result, ...(scheduled && { sandboxModules: scheduled }) };
    },

    async configure(raw, body) {
      const ref = refOf(raw);
      const input = parseRequest(ConfigureInputSchema, body, 'configuration');
      return viaWorkflow(ref.integrationId, () =>
        calls.update(
          integrationHandle(deps.temporal, ref),
          configureUpdate,
          { config: input.config, syncNow: input.syncNow, ...(input.actor && { actor: input.actor }) },
          'configure',
        ),
      );
    },

    async get(raw) {
      const doc = await integrationDoc(raw);
      return { integration: { ...summaryOf(doc), config: doc.config }, workflow: await status(raw) };
    },

    async list(crmOrgId) {
      const org = parseRequest(IntegrationRefSchema.shape.crmOrgId, crmOrgId, 'CRM org id');
      return (await syncState.listIntegrationsForCrmOrg(org)).map(summaryOf);
    },

    pause: (raw, body) => changeStatus(raw, body, pauseUpdate),
    resume: (raw, body) => changeStatus(raw, body, resumeUpdate),
    disable: (raw, body) => changeStatus(raw, body, disableUpdate),

    async syncNow(raw, body) {
      const ref = refOf(raw);
      const { actor } = parseRequest(ActorInputSchema, body ?? {}, 'request');
      return viaWorkflow(ref.integrationId, () =>
        calls.update(
          integrationHandle(deps.temporal, ref),
          instantSyncUpdate,
          { ...(actor && { actor }) },
          'sync now',
        ),
      );
    },

    async history(raw, query) {
      const doc = await integrationDoc(raw);
      const q = parseRequest(HistoryQuerySchema, query ?? {}, 'history query');
      const runs = await syncState.listRuns(doc._id, {
        limit: q.limit,
        ...(q.before !== undefined && { before: q.before }),
      });
      return runs.map(runView);
    },

    async run(raw, runNumber) {
      const doc = await integrationDoc(raw);
      const n = parseRequest(HistoryQuerySchema.shape.before, runNumber, 'run number');
      const [run] = await syncState.listRuns(doc._id, { limit: 1, before: (n ?? 0) + 1 });
      if (!run || run.runNumber !== n) throw new OperationError('not_found', `no run ${n} of ${doc._id}`);
      const failures = await syncState.listFailures(doc._id, { runId: run._id, limit: 1000 });
      const skips = await syncState.listRunSkips(run._id, { limit: 1000 });
      const reasons = Object.fromEntries(
        (Object.keys(skips.byReason) as SkipReason[]).map((r) => [r, SKIP_REASONS[r]]),
      );
      return {
        ...runView(run),
        failures: failures.map(failureView),
        skipped: { total: skips.total, byReason: skips.byReason, reasons, records: skips.records },
      };
    },

    async failures(raw, query) {
      const doc = await integrationDoc(raw);
      const q = parseRequest(FailuresQuerySchema, query ?? {}, 'failures query');
      const found = await syncState.listFailures(doc._id, {
        limit: q.limit,
        ...(q.status && { status: q.status }),
        ...(q.module && { module: q.module }),
        ...(q.runId && { runId: q.runId }),
      });
      return found.map(failureView);
    },

    async reprocess(raw, body) {
      const doc = await integrationDoc(raw);
      const input = parseRequest(ReprocessInputSchema, body, 'reprocess request');
      const chosen = input.failureIds
        ? await syncState.getFailures(input.failureIds)
        : await syncState.listFailures(doc._id, {
            status: 'open',
            limit: 1000,
            ...(input.module && { module: input.module }),
          });
      const notRetried: { failureId: string; reason: string }[] = [];
      const byTarget = new Map<string, RunTarget>();
      for (const f of chosen) {
        if (f.integrationId !== doc._id) {
          notRetried.push({ failureId: f._id, reason: `belongs to ${f.integrationId}` });
          continue;
        }
        if (f.status !== 'open') {
          notRetried.push({ failureId: f._id, reason: `is ${f.status}` });
          continue;
        }
        const kind = f.kind ?? kindOfFailure(f);
        if (!kind) {
          notRetried.push({
            failureId: f._id,
            reason: 'its record kind is unknown; it is retried by the next run',
          });
          continue;
        }
        const key = `${kind}|${f.direction}`;
        const target = byTarget.get(key) ?? { kind, direction: f.direction, ids: [] };
        target.ids.push(f.recordId);
        byTarget.set(key, target);
      }
      for (const id of input.failureIds ?? [])
        if (!chosen.some((f) => f._id === id)) notRetried.push({ failureId: id, reason: 'no such failure' });
      const retried = chosen.filter((f) => !notRetried.some((n) => n.failureId === f._id));
      if (retried.length === 0)
        return { reprocessed: 0, run: null, resolved: 0, stillFailing: [], notRetried };
      // Nothing changes on the failures until the workflow has run them: a refused request leaves them open.
      const run = await targetedRun(raw, {
        targets: [...byTarget.values()],
        reason: 'reprocess',
        ...(input.actor && { actor: input.actor }),
      });
      const after = await syncState.getFailures(retried.map((f) => f._id));
      // A record that failed again was recorded by the run (open, with this run's id).
      const again = after.filter((f) => f.status === 'open' && f.runId === run.runId);
      if (!run.status.startsWith('completed'))
        return {
          reprocessed: retried.length,
          run,
          resolved: 0,
          stillFailing: again.map(failureView),
          notRetried,
        };
      // The rest are resolved when their record is now linked, else (skipped by a view or the duplicate
      // policy) marked reprocessed: retried without an error, but not synced.
      const rest = after.filter((f) => !again.includes(f));
      const linked = await linkedFailures(doc._id, rest);
      const resolved = await syncState.markFailuresResolved(
        rest.filter((f) => linked.has(f._id)).map((f) => f._id),
      );
      await syncState.markFailuresReprocessed(rest.filter((f) => !linked.has(f._id)).map((f) => f._id));
      return { reprocessed: retried.length, run, resolved, stillFailing: again.map(failureView), notRetried };
    },

    async fetchRecord(raw, body) {
      const input = parseRequest(FetchInputSchema, body, 'fetch request');
      const doc = await integrationDoc(raw);
      let crmModule: 'Accounts' | 'Contacts' | 'Vendors' = 'Vendors';
      if (input.module === 'customers') {
        const [account] = await deps.crm.module('Accounts').findByIds(doc.crmOrgId, [input.crmId]);
        // Under an accounts-only configuration an unknown id is reported as a missing account.
        crmModule = account || doc.config.customers.module === 'accounts' ? 'Accounts' : 'Contacts';
      }
      return fetchOne(raw, crmModule, input.crmId, 'fetch', input.actor);
    },

    async searchCrm(raw, query) {
      const doc = await integrationDoc(raw);
      const q = parseRequest(CrmSearchQuerySchema, query, 'search');
      const modules: ('Accounts' | 'Contacts' | 'Vendors')[] =
        q.module === 'vendors'
          ? ['Vendors']
          : doc.config.customers.module === 'accounts'
            ? ['Accounts']
            : doc.config.customers.module === 'contacts'
              ? ['Contacts']
              : ['Accounts', 'Contacts'];
      const hits: CrmSearchHit[] = [];
      for (const crmModule of modules) {
        const found = await deps.crm.module(crmModule).searchByName(doc.crmOrgId, q.q, q.limit);
        const entity = crmModule === 'Vendors' ? 'vendor' : CUSTOMER_ENTITY;
        const links = await syncState.findLinksByCrmIds(
          doc._id,
          entity,
          found.map((r) => r.id),
        );
        const linked = new Map(links.filter((l) => !l.deletedIn).map((l) => [l.crmId, l.booksId]));
        const contacts =
          crmModule === 'Accounts'
            ? await deps.crm.findContactsByAccountIds(
                doc.crmOrgId,
                found.map((r) => r.id),
              )
            : [];
        for (const r of found) {
          const data = r.data as Data;
          hits.push({
            crmModule,
            crmId: r.id,
            name: DISPLAY_NAME_OF[crmModule](data),
            email: emailOf(data),
            booksId: linked.get(r.id) ?? null,
            ...(crmModule === 'Accounts' && {
              contacts: contacts
                .filter((c) => accountIdOf(c.data as Data) === r.id)
                .map((c) => ({
                  crmId: c.id,
                  name: DISPLAY_NAME_OF.Contacts(c.data as Data),
                  email: emailOf(c.data as Data),
                })),
            }),
          });
        }
      }
      return hits.slice(0, q.limit);
    },

    async importRecord(raw, body) {
      const input = parseRequest(ImportInputSchema, body, 'import request');
      return fetchOne(raw, input.crmModule, input.crmId, 'import', input.actor);
    },

    async booksFromCrm(raw, query) {
      const doc = await integrationDoc(raw);
      const q = parseRequest(BooksFromCrmQuerySchema, query ?? {}, 'query');
      const entities: LinkEntity[] =
        q.module === 'vendors'
          ? ['vendor']
          : q.module === 'customers'
            ? ['customer']
            : ['customer', 'vendor'];
      const entries: BooksFromCrmEntry[] = [];
      let after = null;
      // Links in the order they changed; every Books customer or vendor linked to a CRM record came from it.
      while (entries.length < q.limit) {
        const page = await syncState.findLinksChangedSince(doc._id, { after, limit: 500, entities });
        const wanted = page.docs.filter(livesInBooks);
        const books = await deps.books.module('contacts').findByIds(
          doc.booksOrgId,
          wanted.map((l) => l.booksId),
        );
        const byId = new Map(books.filter((b) => !b.deleted).map((b) => [b.id, b.data as Data]));
        for (const l of wanted) {
          const b = byId.get(l.booksId);
          if (!b) continue;
          entries.push({
            booksId: l.booksId,
            displayName: String(b.contact_name ?? ''),
            contactType: String(b.contact_type ?? ''),
            crmModule: l.crmModule,
            crmId: l.crmId,
            linkedTime: l.createdTime.toISOString(),
            ...(l.deletedIn && { deletedIn: l.deletedIn }),
          });
        }
        if (!page.next) break;
        after = page.next;
      }
      return entries.slice(0, q.limit);
    },

    async audit(raw, query) {
      const integrationId = raw ? refOf(raw).integrationId : undefined;
      const q = parseRequest(AuditQuerySchema, query ?? {}, 'audit query');
      const entries = await syncState.queryAudit({
        limit: q.limit,
        ...(integrationId && { integrationId }),
        ...(q.action && { action: q.action }),
        ...(q.from && { from: q.from }),
        ...(q.to && { to: q.to }),
      });
      return entries.map((e) => ({
        id: e._id,
        at: e.at.toISOString(),
        actor: e.actor,
        ...(e.integrationId && { integrationId: e.integrationId }),
        action: e.action,
        ...(e.entity && { entity: e.entity }),
        payloadIds: e.payloadIds,
        outcome: e.outcome,
        ...(e.detail && { detail: e.detail }),
      }));
    },

    async webhook(crmOrgId, body) {
      // The token first: an unauthenticated caller learns nothing about the expected shape.
      const token = body && typeof body === 'object' && 'token' in body ? body.token : undefined;
      if (!deps.webhookToken || typeof token !== 'string' || !sameSecret(token, deps.webhookToken))
        throw new OperationError('unauthorized', 'the notification token is missing or does not match');
      const org = parseRequest(IntegrationRefSchema.shape.crmOrgId, crmOrgId, 'CRM org id');
      const note = parseRequest(CrmNotificationSchema, body, 'CRM notification');
      const signalled: string[] = [];
      const ignored: { integrationId: string; reason: string }[] = [];
      let documents = 0;
      let deals = 0;
      for (const integration of await syncState.listIntegrationsForCrmOrg(org)) {
        if (integration.status !== 'active') {
          ignored.push({
            integrationId: integration._id,
            reason: `the integration is ${integration.status}`,
          });
          continue;
        }
        documents += await signalNotifiedDocuments(deps, integration, note);
        deals += await signalNotifiedDeals(deps, integration, note);
        try {
          await integrationHandle(deps.temporal, integration).signal(crmChangedSignal, {
            module: note.module,
            operation: note.operation,
            ids: note.ids,
          });
          signalled.push(integration._id);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError || isNotFound(err))) throw err;
          ignored.push({ integrationId: integration._id, reason: 'its workflow is not running' });
        }
      }
      await syncState.appendAudit([
        {
          at: new Date(),
          actor: { type: 'system', id: `crm-notification:${note.channel_id}` },
          action: 'webhook.crm_notification',
          entity: note.module,
          payloadIds: note.ids.slice(0, 1000),
          outcome: signalled.length > 0 ? 'success' : 'skipped',
          detail: `${note.operation} of ${note.ids.length} ${note.module} record(s); signalled ${signalled.length} integration(s)`,
        },
      ]);
      return { signalled, ignored, ...(documents > 0 && { documents }), ...(deals > 0 && { deals }) };
    },

    async verify(raw) {
      const ref = refOf(raw);
      return verifyIntegration(deps, ref.crmOrgId, ref.booksOrgId, ref.environment);
    },
  };

  async function changeStatus(
    raw: IntegrationRef,
    body: unknown,
    update: typeof pauseUpdate,
  ): Promise<IntegrationStatus> {
    const ref = refOf(raw);
    const { actor } = parseRequest(ActorInputSchema, body ?? {}, 'request');
    return viaWorkflow(ref.integrationId, () =>
      calls.update(integrationHandle(deps.temporal, ref), update, { ...(actor && { actor }) }, update.name),
    );
  }
}

/** For failures recorded before they carried their kind: unambiguous modules only. */
function kindOfFailure(f: FailureDoc): SyncKind | null {
  return f.module === 'vendors' ? 'vendor' : f.module === 'items' ? 'item' : null;
}

function emailOf(data: Data): string | null {
  return typeof data.Email === 'string' ? data.Email : null;
}

function summaryOf(doc: IntegrationDoc): IntegrationSummary {
  return {
    integrationId: doc._id,
    crmOrgId: doc.crmOrgId,
    booksOrgId: doc.booksOrgId,
    environment: doc.environment,
    direction: doc.direction,
    status: doc.status,
    configVersion: doc.version,
    modifiedTime: doc.modifiedTime.toISOString(),
  };
}

function runView(run: RunDoc): RunView {
  return {
    runId: run._id,
    runNumber: run.runNumber,
    trigger: run.trigger,
    status: run.status,
    ...(run.reason !== undefined && { reason: run.reason }),
    startedTime: run.startedTime.toISOString(),
    endedTime: run.endedTime?.toISOString() ?? null,
    ...(run.configVersion !== undefined && { configVersion: run.configVersion }),
    failureCount: run.failureCount,
    counts: run.counts,
  };
}

function failureView(f: FailureDoc): FailureView {
  return {
    failureId: f._id,
    runId: f.runId,
    module: f.module,
    ...(f.kind && { kind: f.kind }),
    direction: f.direction,
    recordId: f.recordId,
    ...(f.payloadId && { payloadId: f.payloadId }),
    field: f.field,
    reason: f.reason,
    status: f.status,
    attempts: f.attempts,
    createdTime: f.createdTime.toISOString(),
    modifiedTime: f.modifiedTime.toISOString(),
    payload: f.payload,
  };
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function isNotFound(err: unknown): boolean {
  return isGrpcServiceError(err) && err.code === 5;
}

/** A refusal from the integration workflow (validator or activity) as an OperationError with its message. */
function fromTemporal(err: unknown, integrationId: string): unknown {
  if (err instanceof OperationError) return err;
  if (err instanceof WorkflowNotFoundError || isNotFound(err))
    return new OperationError('not_found', `integration ${integrationId} is not running: enable it first`);
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause;
    const message = cause instanceof Error ? cause.message : err.message;
    const type = cause instanceof ApplicationFailure ? cause.type : undefined;
    if (type === ErrorType.NotFound) return new OperationError('not_found', message);
    // Reached the workflow after its deadline (the clocks of this host and the server disagree, or the
    // worker took too long): refused there, not applied.
    if (type === ErrorType.RequestExpired) return new OperationError('unavailable', message);
    if (type === ErrorType.ConfigInvalid || type === ErrorType.ValidationFailed)
      return new OperationError('invalid', message);
    return new OperationError('conflict', message);
  }
  return err;
}
