import { Client, Connection } from '@temporalio/client';
import type pino from 'pino';
import { startHttpServer } from '../api/http';
import { createDealOperations } from '../api/deals';
import { createDocumentOperations } from '../api/documents';
import { financeGuardDepsOf, guardedDocuments } from '../api/finance-guard';
import { createOperations } from '../api/operations';
import { createSubscriptionOperations, subscriptionDepsOf } from '../api/subscriptions';
import { createSandboxOperations } from '../api/sandbox';
import { createUserOperations, userDepsOf } from '../api/users';
import type { Endpoints } from '../scripts/services';
import type { LoadedConfig } from './config';
import type { RunningWorker } from './service';

export interface RunningApi {
  url: string;
  /** Stops accepting requests, finishes the ones in flight, closes the Temporal connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * The HTTP API beside the worker (`npm start`): the operations over the worker's stores and a Temporal
 * client, served on CBS_HTTP_HOST:CBS_HTTP_PORT, with the CRM webhook checking CBS_WEBHOOK_TOKEN.
 */
export async function startApi(
  config: LoadedConfig,
  endpoints: Endpoints,
  running: RunningWorker,
  logger: pino.Logger,
): Promise<RunningApi> {
  const connection = await Connection.connect({
    ...config.temporalConnect.connectionOptions,
    address: endpoints.temporal.address,
  });
  try {
    const temporal = new Client({ connection, namespace: config.app.temporal.namespace });
    const operations = createOperations({
      temporal,
      taskQueue: config.app.temporal.taskQueue,
      syncState: running.deps.syncState,
      crm: running.deps.crmStore,
      books: running.deps.booksStore,
      ...(config.app.http.webhookToken && { webhookToken: config.app.http.webhookToken }),
    });
    const server = await startHttpServer({
      operations: {
        ...operations,
        users: createUserOperations({
          ...userDepsOf(running.deps),
          temporal,
          taskQueue: config.app.temporal.taskQueue,
        }),
        documents: guardedDocuments(
          createDocumentOperations({
            temporal,
            taskQueue: config.app.temporal.taskQueue,
            syncState: running.deps.syncState,
            crm: running.deps.crmStore,
          }),
          financeGuardDepsOf(running.deps, { temporal, taskQueue: config.app.temporal.taskQueue }),
        ),
        subscriptions: createSubscriptionOperations(subscriptionDepsOf(running.deps)),
        sandbox: createSandboxOperations({
          crm: running.deps.crmStore,
          books: running.deps.booksStore,
          slots: running.deps.sandboxSlots,
        }),
        deals: createDealOperations({
          temporal,
          taskQueue: config.app.temporal.taskQueue,
          syncState: running.deps.syncState,
          crm: running.deps.crmStore,
          dealStore: running.deps.dealStore,
          books: running.deps.booksStore,
        }),
      },
      port: config.app.http.port,
      host: config.app.http.host,
      logger,
    });
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      close() {
        closing ??= server.close().finally(() => connection.close());
        return closing;
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
