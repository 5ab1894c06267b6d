import type { FinanceKind } from '../../finance/documents';
import { estimate } from './estimate';
import { invoice } from './invoice';
import { purchaseorder } from './purchaseorder';
import { salesorder } from './salesorder';
import type { CrmFinanceModule, DocumentSpec } from './spec';

export * from './spec';

/**
 * Every finance document transaction sync pushes, each specified in its own file. Adding one is adding its
 * file and a line here.
 */
export const DOCUMENT_SPECS = {
  estimate,
  salesorder,
  invoice,
  purchaseorder,
} as const satisfies Record<FinanceKind, DocumentSpec>;

/** The CRM finance modules whose documents go to Books. */
export const DOCUMENT_MODULES: readonly CrmFinanceModule[] = Object.values(DOCUMENT_SPECS).map(
  (s) => s.crmModule,
);

export function documentSpecOf(kind: FinanceKind): DocumentSpec {
  return DOCUMENT_SPECS[kind];
}

/** The spec of a CRM finance module's documents, or undefined for another module. */
export function documentSpecOfModule(crmModule: string): DocumentSpec | undefined {
  return Object.values(DOCUMENT_SPECS).find((s) => s.crmModule === crmModule);
}
