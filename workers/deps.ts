import { MongoClient } from 'mongodb';
import type { ActivityDeps } from '../activities';
import type { AppConfig } from '../domain/config';
import { createDiagnosticsStore } from '../stores/diagnostics-store';

/** The production dependencies of the activities, plus what must be closed at shutdown. */
export interface Deps extends ActivityDeps {
  mongo: MongoClient;
  close(): Promise<void>;
}

/**
 * Connects to MongoDB, builds the stores and creates their indexes (awaited: a worker never serves before its
 * indexes exist). Fails when the server cannot be reached within the driver's server-selection timeout.
 */
export async function createDeps(mongo: AppConfig['mongo'] & { uri: string }): Promise<Deps> {
  const client = new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 15_000, appName: 'crm-books-sync' });
  await client.connect();
  const diagnostics = createDiagnosticsStore(client.db(mongo.syncDb));
  try {
    await diagnostics.ensureIndexes();
  } catch (err) {
    await client.close();
    throw err;
  }
  return { mongo: client, diagnostics, close: () => client.close() };
}
