import type { Collection, Db } from 'mongodb';
import { z } from 'zod';
import { KeyPartSchema } from '../domain/sync-state-schemas';
import { isDuplicateKey } from './mongo-helpers';

/**
 * A Books org's one sandbox slot (S8.1), in the sync-state database: `_id` is the Books org, so the
 * server's own `_id` uniqueness decides which of two concurrent creations wins, with no index to declare.
 */
export const SandboxSlotDocSchema = z.object({
  _id: KeyPartSchema,
  sandboxOrgId: KeyPartSchema,
  createdTime: z.date(),
});
export type SandboxSlotDoc = z.infer<typeof SandboxSlotDocSchema>;

export interface SandboxSlots {
  /** The sandbox holding `booksOrgId`'s slot; undefined while it has none. */
  holderOf(booksOrgId: string): Promise<string | undefined>;
  /**
   * Claims the slot of `booksOrgId` for `sandboxOrgId` unless another sandbox holds it; returns the holder
   * (the caller's sandbox when it won, or already held it). Idempotent; fails with the driver's error.
   */
  claim(booksOrgId: string, sandboxOrgId: string): Promise<string>;
}

const COLLECTION = 'books_sandbox_slots';

/** The MongoDB implementation, over an injected sync-state `Db`. */
export function createSandboxSlots(db: Db): SandboxSlots {
  const slots: Collection<SandboxSlotDoc> = db.collection<SandboxSlotDoc>(COLLECTION);
  async function holderOf(booksOrgId: string): Promise<string | undefined> {
    const doc = await slots.findOne({ _id: KeyPartSchema.parse(booksOrgId) });
    return doc ? SandboxSlotDocSchema.parse(doc).sandboxOrgId : undefined;
  }
  return {
    holderOf,
    async claim(booksOrgId, sandboxOrgId) {
      try {
        await slots.updateOne(
          { _id: KeyPartSchema.parse(booksOrgId) },
          { $setOnInsert: { sandboxOrgId: KeyPartSchema.parse(sandboxOrgId), createdTime: new Date() } },
          { upsert: true },
        );
      } catch (err) {
        // Two claims raced to insert: the other one won; its holder is read below.
        if (!isDuplicateKey(err)) throw err;
      }
      const holder = await holderOf(booksOrgId);
      if (!holder) throw new Error(`the sandbox slot of Books org ${booksOrgId} did not read back`);
      return holder;
    },
  };
}
