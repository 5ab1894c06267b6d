/**
 * Custom search attributes the workflows set so operators can filter runs in the Temporal UI
 * (`temporal workflow list --query 'CrmOrg="org1"'`). Registered on the dev server at start.
 */
export const SEARCH_ATTRIBUTES = {
  CrmOrg: 'Keyword',
  BooksOrg: 'Keyword',
  SyncEnv: 'Keyword',
  SyncModule: 'Keyword',
  SyncStatus: 'Keyword',
} as const;

export type SearchAttributeName = keyof typeof SEARCH_ATTRIBUTES;
