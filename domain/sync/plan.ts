import { directionsOf, kindSpecOf, type CrmMasterModule, type SyncKind } from './kinds';

/** One step of a sync run: a kind of record moved in one direction. Plain JSON: it crosses Temporal. */
export interface SyncStep {
  kind: SyncKind;
  direction: 'crm_to_books' | 'books_to_crm';
  /** For contacts under "Accounts and their Contacts": only contacts with no account (as Individuals). */
  orphansOnly?: boolean;
  /** A targeted run (fetch one record, import, reprocess) moves only these source records. */
  ids?: string[];
}

/** Records a targeted run moves: a kind, a direction and the source ids. */
export interface StepTarget {
  kind: SyncKind;
  direction: SyncStep['direction'];
  ids: readonly string[];
}

interface PlanConfig {
  customers: {
    module: 'accounts' | 'contacts' | 'accounts_and_contacts';
    includeOrphanContacts: boolean;
    extent: 'fetch_from_crm' | 'both_ways';
  };
  vendors: { extent: 'fetch_from_crm' | 'both_ways' };
  items: { extent: 'fetch_from_crm' | 'both_ways' };
}

/**
 * The steps of a run in the seeds' order (S2.2): customers, then vendors, then items; customers and vendors
 * fetch the CRM side first, items push the Books side first. Under "Accounts and their Contacts" (S2.1) the
 * accounts come first, then their contacts as contact persons, then — if asked — contacts with no account
 * as Individuals; both ways, the Business customers' contact persons go back as CRM contacts.
 */
export function planSyncSteps(config: PlanConfig): SyncStep[] {
  const steps: SyncStep[] = [];
  const c = config.customers;
  for (const direction of directionsOf(
    c.module === 'contacts' ? 'contact' : 'account',
    c.extent === 'both_ways',
  )) {
    if (c.module === 'accounts') steps.push({ kind: 'account', direction });
    else if (c.module === 'contacts') steps.push({ kind: 'contact', direction });
    else {
      steps.push({ kind: 'account', direction });
      steps.push({ kind: 'contact_person', direction });
      if (c.includeOrphanContacts) steps.push({ kind: 'contact', direction, orphansOnly: true });
    }
  }
  for (const direction of directionsOf('vendor', config.vendors.extent === 'both_ways'))
    steps.push({ kind: 'vendor', direction });
  for (const direction of directionsOf('item', config.items.extent === 'both_ways'))
    steps.push({ kind: 'item', direction });
  return steps;
}

/**
 * The kind a CRM record of the module moves as when fetched or imported on its own, under this configuration:
 * the planned CRM → Books step of a kind stored in that module (contacts held in their account's customer as
 * contact persons move with the account, not alone). Null when the configuration does not sync the module.
 */
export function kindOfCrmModule(config: PlanConfig, crmModule: CrmMasterModule): SyncKind | null {
  const step = planSyncSteps(config).find((s) => {
    const spec = kindSpecOf(s.kind);
    return s.direction === 'crm_to_books' && !spec.embeddedIn && spec.crmModule === crmModule;
  });
  return step?.kind ?? null;
}

/**
 * The steps of a targeted run: the planned steps (in their order) that a target names, each carrying its ids.
 * Targets the configuration does not sync (a contact while customers sync Accounts only, an item pushed to
 * Books on a one-way integration) come back in `unmatched`, so the caller can say why.
 */
export function targetSteps(
  planned: readonly SyncStep[],
  targets: readonly StepTarget[],
): { steps: SyncStep[]; unmatched: StepTarget[] } {
  const ids = new Map<string, Set<string>>();
  for (const t of targets) {
    const key = `${t.kind}|${t.direction}`;
    const set = ids.get(key) ?? new Set<string>();
    for (const id of t.ids) set.add(id);
    ids.set(key, set);
  }
  const steps: SyncStep[] = [];
  const matched = new Set<string>();
  for (const step of planned) {
    const key = `${step.kind}|${step.direction}`;
    const set = ids.get(key);
    if (!set || set.size === 0) continue;
    matched.add(key);
    steps.push({ ...step, ids: [...set] });
  }
  return { steps, unmatched: targets.filter((t) => !matched.has(`${t.kind}|${t.direction}`)) };
}
