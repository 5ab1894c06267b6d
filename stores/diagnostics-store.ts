import type { Collection, Db } from 'mongodb';
import { z } from 'zod';

/** One write-then-read round of the wiring check, as stored in the sync-state database. */
export const WiringCheckDocSchema = z.object({
  _id: z.string(),
  checkId: z.string(),
  round: z.number().int().positive(),
  workflowId: z.string(),
  writtenAt: z.date(),
  modifiedTime: z.date(),
});
export type WiringCheckDoc = z.infer<typeof WiringCheckDocSchema>;

export interface DiagnosticsStore {
  /** Creates the indexes this store reads through. Idempotent; awaited once at start-up. */
  ensureIndexes(): Promise<void>;
  /**
   * Records one round of a wiring check. Idempotent: a retry of the same (checkId, round) rewrites the same
   * document, never adds one. Fails with the driver's error when the server is unreachable (retryable).
   */
  recordWiringCheck(input: { checkId: string; round: number; workflowId: string }): Promise<void>;
  /** Reads a round back, parsed; undefined when absent. */
  findWiringCheck(checkId: string, round: number): Promise<WiringCheckDoc | undefined>;
  /** How many rounds of `checkId` are stored. */
  countWiringChecks(checkId: string): Promise<number>;
  /** The server's version string, e.g. "7.0.77" (FerretDB reports the MongoDB version it emulates). */
  serverVersion(): Promise<string>;
}

const COLLECTION = 'wiring_checks';

/** The MongoDB implementation, over an injected sync-state `Db`. */
export function createDiagnosticsStore(db: Db): DiagnosticsStore {
  const checks: Collection<WiringCheckDoc> = db.collection<WiringCheckDoc>(COLLECTION);
  const key = (checkId: string, round: number) => `${checkId}#${round}`;
  return {
    async ensureIndexes() {
      await checks.createIndex({ checkId: 1, round: 1 }, { name: 'checkId_round', unique: true });
    },
    async recordWiringCheck({ checkId, round, workflowId }) {
      const now = new Date();
      await checks.updateOne(
        { _id: key(checkId, round) },
        { $set: { workflowId, modifiedTime: now }, $setOnInsert: { checkId, round, writtenAt: now } },
        { upsert: true },
      );
    },
    async findWiringCheck(checkId, round) {
      const doc = await checks.findOne({ _id: key(checkId, round) });
      return doc ? WiringCheckDocSchema.parse(doc) : undefined;
    },
    async countWiringChecks(checkId) {
      return checks.countDocuments({ checkId });
    },
    async serverVersion() {
      const info = await db.admin().command({ buildInfo: 1 });
      return String(info.version);
    },
  };
}
