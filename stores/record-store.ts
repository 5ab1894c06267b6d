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

export interface ChangedPage<T> {
  records: StoredRecord<T>[];
  /** Cursor to read the next page from; null when the read is exhausted. */
  next: DeltaCursor | null;
  /** Where a later delta read resumes (save this when `next` is null). */
  position: DeltaCursor | null;
}

export interface RecordCollection<T> {
  /**
   * Up to `limit` records of `org` changed strictly after `after`, ordered by (modifiedTime, id); deleted
   * records included (callers decide). With `withoutField`, only records with no value (missing or null) in
   * that top-level field of their data, e.g. contacts without an account; the page's position then stands
   * at the last such record. Read-only; throws on a bad cursor, field name or a server failure.
   */
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
  /** Marks records deleted (kept, never removed: deletes are not propagated, S3.8). Idempotent. */
  markDeleted(org: string, ids: readonly string[]): Promise<number>;
  /** Live records of `org`. */
  count(org: string): Promise<number>;
}
