import type { IntegrationRef } from './types';

/*
 * The path of an integration's routes and the integration its parameters name: one home for what the route
 * tables share (api/documents.ts uses it; api/http.ts and api/users.ts still keep copies of their own, to be
 * folded onto this one).
 */

const INTEGRATION = ['integrations', ':crmOrgId', ':booksOrgId', ':environment'] as const;

/** `/integrations/:crmOrgId/:booksOrgId/:environment/…rest`, as route path segments. */
export const integrationPath = (...rest: string[]): readonly string[] => [...INTEGRATION, ...rest];

/** The integration named by a route's parameters. */
export const integrationRefOf = (p: Record<string, string>): IntegrationRef => ({
  crmOrgId: p.crmOrgId!,
  booksOrgId: p.booksOrgId!,
  environment: p.environment as IntegrationRef['environment'],
});
