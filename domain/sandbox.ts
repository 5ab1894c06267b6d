import { z } from 'zod';
import { KeyPartSchema, type Environment } from './sync-state-schemas';

/*
 * The sandbox rules of S8, pure. A sandbox org is a separate org (its own id, so its records are its own)
 * whose settings document carries a `sandbox` mark naming its production parent; an org without the mark is
 * a production org. Every rule returns refusals naming the field and why, never throws: the callers (the
 * enable operation, the sandbox operations, the document writes) turn them into their own errors.
 */

/** The four CRM finance modules a sandbox enable creates (S8.3), in the order the scheduled job creates them. */
export const SANDBOX_FINANCE_MODULES = ['Quotes', 'Sales_Orders', 'Invoices', 'Purchase_Orders'] as const;
export type SandboxFinanceModule = (typeof SANDBOX_FINANCE_MODULES)[number];

/** The Zoho finance products an integration may ask for; only Books is supported in a sandbox (S8.6). */
export const ZohoProductSchema = z.enum(['books', 'inventory', 'expense', 'billing', 'invoice']);
export type ZohoProduct = z.infer<typeof ZohoProductSchema>;

const PRODUCT_NAMES: Record<ZohoProduct, string> = {
  books: 'Zoho Books',
  inventory: 'Zoho Inventory',
  expense: 'Zoho Expense',
  billing: 'Zoho Billing',
  invoice: 'Zoho Invoice',
};

/** The mark on a sandbox org's settings document (`crm_org` or `books_organization`). */
export const SandboxMarkSchema = z.object({
  parent_org_id: KeyPartSchema,
  /** CRM sandboxes only: the finance modules the scheduled job has created so far (S8.3). */
  finance_modules: z.array(z.enum(SANDBOX_FINANCE_MODULES)).default([]),
});
export type SandboxMark = z.infer<typeof SandboxMarkSchema>;

/** A refusal of S8: the request field it is about and the reason, with the spec clause. */
export interface SandboxRefusal {
  field: string;
  reason: string;
}

type OrgDoc = Record<string, unknown>;
export type SandboxSide = 'crm' | 'books';
const SIDE_NAMES: Record<SandboxSide, string> = { crm: 'CRM', books: 'Books' };

/** The sandbox mark of an org document, or undefined for a production org (or a mark that does not parse). */
export function sandboxMarkOf(org: OrgDoc): SandboxMark | undefined {
  const parsed = SandboxMarkSchema.safeParse(org.sandbox);
  return parsed.success ? parsed.data : undefined;
}

export function environmentOfOrg(org: OrgDoc): Environment {
  return sandboxMarkOf(org) ? 'sandbox' : 'production';
}

/** `field: reason` lines, the format of every other refused request (api/types.ts parseRequest). */
export function describeRefusals(refusals: readonly SandboxRefusal[]): string {
  return refusals.map((r) => `${r.field}: ${r.reason}`).join('; ');
}

export interface PairingInput {
  environment: Environment;
  crmOrgId: string;
  crmOrg: OrgDoc;
  booksOrgId: string;
  booksOrg: OrgDoc;
}

/**
 * S8.2: a sandbox integration joins a CRM sandbox and a Books sandbox, a production one two production orgs;
 * every org in the wrong environment is named.
 */
export function pairingRefusals(input: PairingInput): SandboxRefusal[] {
  const sides = [
    { side: 'crm', field: 'crmOrgId', id: input.crmOrgId, org: input.crmOrg },
    { side: 'books', field: 'booksOrgId', id: input.booksOrgId, org: input.booksOrg },
  ] as const;
  return sides.flatMap(({ side, field, id, org }) => {
    const actual = environmentOfOrg(org);
    if (actual === input.environment) return [];
    const other = side === 'crm' ? 'Books' : 'CRM';
    const reason =
      input.environment === 'sandbox'
        ? `${SIDE_NAMES[side]} org ${id} is a production org: a sandbox integration joins a CRM sandbox ` +
          `with a Books sandbox only, never with production ${SIDE_NAMES[side]} (S8.2)`
        : `${SIDE_NAMES[side]} org ${id} is a sandbox: it integrates only in environment "sandbox", with the ` +
          `${other} sandbox, never with production ${other} (S8.2)`;
    return [{ field, reason }];
  });
}

/** S8.6: in a sandbox only Books is supported; each other product asked for is refused by name. */
export function productRefusals(
  environment: Environment,
  products: readonly ZohoProduct[],
): SandboxRefusal[] {
  if (environment !== 'sandbox') return [];
  return products.flatMap((product, i) =>
    product === 'books'
      ? []
      : [
          {
            field: `products.${i}`,
            reason: `${PRODUCT_NAMES[product]} is not supported in a sandbox: only Zoho Books is (S8.6)`,
          },
        ],
  );
}

/**
 * S8.4 and S8.5: an integration is never copied between environments. A sandbox integration is not
 * deployed to production (and so no deployment log exists); a production one is not copied into the
 * sandbox. Always refused; the reason says what to do instead.
 */
export function copyRefusal(from: Environment): SandboxRefusal {
  return from === 'sandbox'
    ? {
        field: 'environment',
        reason:
          'a sandbox integration cannot be deployed to production and leaves no deployment log: enable the ' +
          'production integration on its own (S8.4)',
      }
    : {
        field: 'environment',
        reason:
          'a production integration is not copied into the sandbox: enable the sandbox integration on its ' +
          'own, between the CRM sandbox and the Books sandbox (S8.5)',
      };
}

export interface SandboxCreation {
  side: SandboxSide;
  parentOrgId: string;
  /** The parent org's settings document; undefined when no such org exists. */
  parentOrg: OrgDoc | undefined;
  sandboxOrgId: string;
  /** The org document already stored under `sandboxOrgId`, if any. */
  existingOrg: OrgDoc | undefined;
  /** Books: the sandbox the parent already has (its one slot, S8.1), if any. */
  takenBy: string | undefined;
}

/**
 * Creating a sandbox of an org: the parent is a known production org, the sandbox id is new (or is this
 * very sandbox again: creating it twice is idempotent) and a Books org gets one sandbox only (S8.1).
 */
export function sandboxCreationRefusals(c: SandboxCreation): SandboxRefusal[] {
  const side = SIDE_NAMES[c.side];
  if (!c.parentOrg) return [{ field: 'parentOrgId', reason: `${side} org ${c.parentOrgId} is not known` }];
  const refusals: SandboxRefusal[] = [];
  if (sandboxMarkOf(c.parentOrg))
    refusals.push({
      field: 'parentOrgId',
      reason: `${side} org ${c.parentOrgId} is itself a sandbox: a sandbox is made from a production org`,
    });
  if (c.sandboxOrgId === c.parentOrgId)
    refusals.push({
      field: 'sandboxOrgId',
      reason: 'must differ from the parent org: a sandbox is a separate org',
    });
  else if (c.existingOrg && sandboxMarkOf(c.existingOrg)?.parent_org_id !== c.parentOrgId)
    refusals.push({
      field: 'sandboxOrgId',
      reason: `${side} org ${c.sandboxOrgId} already exists and is not a sandbox of ${c.parentOrgId}`,
    });
  if (c.side === 'books' && c.takenBy !== undefined && c.takenBy !== c.sandboxOrgId)
    refusals.push({
      field: 'parentOrgId',
      reason:
        `Books org ${c.parentOrgId} already has a sandbox, ${c.takenBy}: one Books sandbox per Books org, ` +
        'a second is refused (S8.1)',
    });
  return refusals;
}

/**
 * The sandbox org's settings document: the parent's settings (name, currency, edition: what the
 * prerequisites of S1.2 read) under the new id, marked, with no records, no integrations and, on the CRM
 * side, no finance modules and no connected Books orgs (S8.5: nothing of production's integration comes along).
 */
export function sandboxOrgDoc(
  side: SandboxSide,
  parentOrg: OrgDoc,
  parentOrgId: string,
  sandboxOrgId: string,
): OrgDoc {
  const settings = Object.fromEntries(
    Object.entries(parentOrg).filter(([key]) => key !== 'books_organizations' && key !== 'sandbox'),
  );
  const idKey = side === 'crm' ? 'id' : 'organization_id';
  const mark: SandboxMark = { parent_org_id: parentOrgId, finance_modules: [] };
  return { ...settings, [idKey]: sandboxOrgId, sandbox: mark };
}

/**
 * S8.3: a record may be written into a finance module of a CRM sandbox only once the scheduled job has
 * created that module; production orgs and other modules are not this rule's concern (undefined).
 */
export function financeModuleRefusal(
  crmOrgId: string,
  crmOrg: OrgDoc,
  module: string,
): SandboxRefusal | undefined {
  const mark = sandboxMarkOf(crmOrg);
  if (!mark || !isSandboxFinanceModule(module) || mark.finance_modules.includes(module)) return undefined;
  return {
    field: 'module',
    reason:
      `the CRM sandbox ${crmOrgId} has no ${module} module yet: the scheduled job started when the sandbox ` +
      'integration was enabled creates the finance modules (S8.3); write after it has run',
  };
}

function isSandboxFinanceModule(module: string): module is SandboxFinanceModule {
  return (SANDBOX_FINANCE_MODULES as readonly string[]).includes(module);
}

/** The CRM sandbox org with every finance module created (S8.3); the same document again when it already was. */
export function withFinanceModules(crmOrg: OrgDoc): OrgDoc {
  const mark = sandboxMarkOf(crmOrg);
  if (!mark) return crmOrg;
  return { ...crmOrg, sandbox: { ...mark, finance_modules: [...SANDBOX_FINANCE_MODULES] } };
}
