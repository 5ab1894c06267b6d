import type { Data } from './spec';

/*
 * Which CRM finance copies a re-enable brings back (S4.4). Disabling marks the copies deleted in the CRM
 * store (kept, with what they held: deletes are never removals) and leaves Books and every link as they are;
 * re-enabling writes each linked copy back under its own CRM id, as the pull-back last left it (status,
 * totals, balance, payments). What Books changed meanwhile reaches it through the poller's Books pass and the
 * follow path, as any Books change does. A Books document with no link was created in Books and stays out
 * (S4.1). Pure: the activity reads links and records once per collection and writes what this decides.
 */

/** A link of a synced document, as the restore reads it. */
export interface RestoreLink {
  crmId: string;
  booksId: string;
  deletedIn?: 'crm' | 'books' | undefined;
}

/** A stored record (CRM copy or Books document), as the restore reads it. */
export interface RestoreRecord {
  id: string;
  deleted: boolean;
  data: Data;
  syncKey?: string | undefined;
}

/** Why a linked document gets no copy back. */
export type RestoreLeftOut = 'books_deleted' | 'link_deleted' | 'no_crm_record';

export interface CopiesToRestore {
  /** The copies to write back, each under its CRM id, with the data and sync key it had. */
  restore: { id: string; data: Data; syncKey?: string | undefined }[];
  leftOut: Partial<Record<RestoreLeftOut, number>>;
}

/**
 * The deleted copies of live links whose Books document still exists. A copy that is live is left alone (a
 * second re-enable, or a retry, writes nothing); a link marked deleted, a Books document deleted since, or a
 * CRM record missing altogether (nothing to restore from) are counted as left out.
 */
export function copiesToRestore(
  links: readonly RestoreLink[],
  crm: readonly RestoreRecord[],
  books: readonly RestoreRecord[],
): CopiesToRestore {
  const crmById = new Map(crm.map((r) => [r.id, r]));
  const booksById = new Map(books.map((r) => [r.id, r]));
  const result: CopiesToRestore = { restore: [], leftOut: {} };
  const leaveOut = (reason: RestoreLeftOut) => (result.leftOut[reason] = (result.leftOut[reason] ?? 0) + 1);
  for (const link of links) {
    const copy = crmById.get(link.crmId);
    if (copy !== undefined && !copy.deleted) continue;
    const book = booksById.get(link.booksId);
    if (link.deletedIn !== undefined) leaveOut('link_deleted');
    else if (book === undefined || book.deleted) leaveOut('books_deleted');
    else if (copy === undefined) leaveOut('no_crm_record');
    else result.restore.push({ id: copy.id, data: copy.data, syncKey: copy.syncKey });
  }
  return result;
}

/** The Books ids worth reading: those of the links whose copy is not live. */
export function booksIdsToCheck(links: readonly RestoreLink[], crm: readonly RestoreRecord[]): string[] {
  const live = new Set(crm.filter((r) => !r.deleted).map((r) => r.id));
  return links.filter((l) => !live.has(l.crmId)).map((l) => l.booksId);
}
