import type { ChangeMarker } from '../domain/change-markers';
import type { DeltaCursor } from '../domain/sync-state-schemas';

/*
 * The common shape of the CRM store's and the Books store's record collections. Each collection holds one
 * module of many orgs; a record is stored in an envelope around its API JSON:
 *
 *   { _id: `${org}|${id}`, org, id, modifiedTime: Date, normName, deleted: boolean, syncKey?: string,
 *     contentHash: string, data: { …the record exactly in the Zoho API shape… } }
 *
 * `data` keeps the API shape intact (import/export round-trips), `modifiedTime` drives delta reads through the
 * (org, modifiedTime, _id) index, `normName` (normalizeName of the module's display name) drives duplicate
 * lookups through (org, normName), and `contentHash` lets a write that changes nothing be skipped.
 */

export interface StoredRecord<T> {
  id: string;
  org: string;
  modifiedTime: Date;
  normName: string;
  deleted: boolean;
  /** Set on records this service created, e.g. `cbs:{integrationId}:{entity}:{crmId}`: retries converge on it. */
  syncKey?: string | undefined;
  data: T;
}

export interface RecordWrite<T> {
  id: string;
  data: T;
  syncKey?: string | undefined;
}

export interface UpsertResult {
  inserted: number;
  updated: number;
  /** Writes whose content equalled what was stored: nothing written, modified time untouched. */
  unchanged: number;
}

/** A write of the fields of one record that differ from the version it was decided on. */
export interface RecordPatch<T> {
  id: string;
  /** The modified time of the version read: the write applies to that version only. */
  expectedModifiedTime: Date;
  /** The record's data as read. */
  base: T;
  /** The data wanted: only the paths where it differs from `base` are written. */
  data: T;
}

export interface PatchResult {
  updated: number;
  /** Patches whose data equalled their base: nothing written. */
  unchanged: number;
  /** Ids whose stored version was no longer the one read (changed or deleted since): nothing written. */
  stale: string[];
}

export interface ChangedPage<T> {
  records: StoredRecord<T>[];
  /** Cursor to read the next page from; null when the read is exhausted. */
  next: DeltaCursor | null;
  /** Where a later delta read resumes (save this when `next` is null). */
  position: DeltaCursor | null;
  /**
   * Stored documents of the page that do not parse (written around the store's validation): what they
   * hold, with the first field that fails and why, so a reader can fail them alone.
   */
  unreadable?: { id: string; field: string; reason: string; data: Record<string, unknown> }[];
}

export interface RecordCollection<T> {
  /**
   * Up to `limit` records of `org` changed strictly after `after`, ordered by (modifiedTime, id); deleted
   * records included (callers decide). With `withoutField`, only records with no value (missing or null) in
   * that top-level field of their data, e.g. contacts without an account; the page's position then stands
   * at the last such record. Read-only; throws on a bad cursor, field name or a server failure.
   */
  /**
   * The org's change marker (change-markers.ts): a token every write command of this collection replaces
   * before it is sent. One read by `_id`; undefined when nothing was written since markers exist. Read-only.
   */
  changeMarker(org: string): Promise<ChangeMarker | undefined>;
  findChangedSince(
    org: string,
    after: DeltaCursor | null,
    limit: number,
    options?: { withoutField?: string },
  ): Promise<ChangedPage<T>>;
  /** The records with these ids (missing ids are absent from the result). One query. */
  findByIds(org: string, ids: readonly string[]): Promise<StoredRecord<T>[]>;
  /** The live (not deleted) records whose normalised display name is one of `normNames`. One indexed query. */
  findByNormNames(org: string, normNames: readonly string[]): Promise<StoredRecord<T>[]>;
  /**
   * findByIds and findByNormNames in one query: where every read scans its collection (FerretDB), a sync
   * chunk reads its targets once instead of twice.
   */
  findByIdsAndNormNames(
    org: string,
    ids: readonly string[],
    normNames: readonly string[],
  ): Promise<{ byId: StoredRecord<T>[]; byName: StoredRecord<T>[] }>;
  /**
   * Up to `limit` live records whose normalised display name contains `text` (normalised the same way), by
   * name. A search for people (S3.4), not for sync: it may scan the org's records.
   */
  searchByName(org: string, text: string, limit: number): Promise<StoredRecord<T>[]>;
  /**
   * Inserts or replaces records by id in one unordered bulk write. Idempotent: a record whose data equals the
   * stored data is not written (its modified time stays). A write bumps `modifiedTime` past the previous one
   * and stamps the API's own modified-time field in `data` (CRM `Modified_Time`, Books `last_modified_time`).
   * Fails with the driver's error (retryable) or an InvalidRecordsError listing every invalid record (then
   * nothing is written).
   */
  upsertMany(org: string, records: readonly RecordWrite<T>[]): Promise<UpsertResult>;
  /**
   * Writes, per record, only the fields (paths into nested objects; arrays whole) where `data` differs from
   * `base`, and only if the record still has the version read (`expectedModifiedTime`): a writer never
   * overwrites a field it did not decide to change, and a record changed since is reported `stale`, to be
   * decided again on what it holds now. Stamps a new modified time like upsertMany. Throws an
   * InvalidRecordsError listing every invalid record (then nothing is written).
   */
  patchMany(org: string, patches: readonly RecordPatch<T>[]): Promise<PatchResult>;
  /** Marks records deleted (kept, never removed: deletes are not propagated, S3.8). Idempotent. */
  markDeleted(org: string, ids: readonly string[]): Promise<number>;
  /** Live records of `org`. */
  count(org: string): Promise<number>;
}
