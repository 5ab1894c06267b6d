import { Connection } from '@temporalio/client';
import type { ClientConnectConfig } from '@temporalio/envconfig';
import type pino from 'pino';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes';

/** temporal.api.enums.v1.IndexedValueType numbers (INDEXED_VALUE_TYPE_KEYWORD = 2). */
const TYPES: Record<string, number> = { Keyword: 2 };

/**
 * Registers the custom search attributes the workflows set (CrmOrg, BooksOrg, SyncEnv, SyncModule,
 * SyncStatus) on a server that lacks them — the local dev server gets them at launch; an external
 * self-hosted server gets them here. Where the operator API is not allowed (Temporal Cloud: use `tcld`),
 * it logs what to register and goes on: workflows that set a missing attribute would fail their tasks.
 */
export async function ensureSearchAttributes(opts: {
  connect: ClientConnectConfig;
  address: string;
  namespace: string;
  logger: pino.Logger;
}): Promise<{ added: string[] }> {
  const connection = await Connection.connect({ ...opts.connect.connectionOptions, address: opts.address });
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace: opts.namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = Object.entries(SEARCH_ATTRIBUTES).filter(([name]) => !known.has(name));
    if (missing.length === 0) return { added: [] };
    await connection.operatorService.addSearchAttributes({
      namespace: opts.namespace,
      searchAttributes: Object.fromEntries(missing.map(([name, type]) => [name, TYPES[type]!])),
    });
    opts.logger.info({ added: missing.map(([n]) => n) }, 'registered search attributes');
    return { added: missing.map(([n]) => n) };
  } catch (err) {
    opts.logger.warn(
      { err, needed: SEARCH_ATTRIBUTES },
      'could not check or register the custom search attributes; register them on the server before syncing',
    );
    return { added: [] };
  } finally {
    await connection.close();
  }
}
