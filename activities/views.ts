import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../domain/errors';
import { STORED_KINDS, kindSpecOf, type SyncKind } from '../domain/sync/kinds';
import type { IntegrationConfig } from '../domain/sync-state-schemas';
import { compileView, ViewError, type ViewFilter } from '../domain/views';

type Data = Record<string, unknown>;

/** What the view loader reads from the CRM store. */
export interface ViewSource {
  getView(orgId: string, viewId: string): Promise<Data | undefined>;
  getUser(orgId: string, userId: string): Promise<Data | undefined>;
}

/**
 * The CRM views (S2.4) an integration filters its CRM records with. A view is compiled against the
 * integration's owner (`ownerUserId`, for "My …" views) and a clock; `check` compiles every chosen view at
 * enable and configure, so a bad choice is refused then, with the setting it came from, not at the next run.
 */
export function createViewLoader(crm: ViewSource) {
  /** The kind's view compiled, or undefined when none is chosen. Throws ViewError or a ConfigInvalid failure. */
  async function viewFor(
    crmOrgId: string,
    config: IntegrationConfig,
    kind: SyncKind,
    now: string,
  ): Promise<ViewFilter | undefined> {
    const { viewId } = kindSpecOf(kind).viewOf(config);
    if (!viewId) return undefined;
    const view = await crm.getView(crmOrgId, viewId);
    if (!view)
      throw ApplicationFailure.nonRetryable(
        `CRM view ${viewId} does not exist in org ${crmOrgId}`,
        ErrorType.ConfigInvalid,
      );
    return compileView(view as never, {
      module: kindSpecOf(kind).crmModule,
      currentUserId: config.ownerUserId ?? '',
      now,
    });
  }

  /** Every problem with the owner and the chosen views, as `path: reason` lines ([] when all is well). */
  async function check(crmOrgId: string, config: IntegrationConfig, now: string): Promise<string[]> {
    const problems: string[] = [];
    if (config.ownerUserId !== undefined && !(await crm.getUser(crmOrgId, config.ownerUserId)))
      problems.push(`ownerUserId: ${config.ownerUserId} is not a user of CRM org ${crmOrgId}`);
    // Contact persons read the contacts' view: checking the stored kinds checks every setting once.
    for (const { kind } of STORED_KINDS) {
      const { viewId, path } = kindSpecOf(kind).viewOf(config);
      if (!viewId) continue;
      try {
        await viewFor(crmOrgId, config, kind, now);
      } catch (err) {
        if (err instanceof ViewError || err instanceof ApplicationFailure)
          problems.push(`${path}: ${err.message}`);
        else throw err;
      }
    }
    return problems;
  }

  return { viewFor, check };
}
