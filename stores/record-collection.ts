import {
  MongoBulkWriteError,
  MongoError,
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type Sort,
  type WithId,
} from 'mongodb';
import { z } from 'zod';
import { canonicalJson } from '../domain/canonical-json';
import { MAX_NAME_LENGTH, normalizeName } from '../domain/sync/names';
import { findUnsafeKeys } from '../domain/safe-keys';
import {
  RecordIdSchema,
  describeFirstIssue,
  problemsOf,
  type FieldProblem,
  type RecordFailure,
} from '../domain/validation';
import type { DeltaCursor } from '../domain/sync-state-schemas';
import { DELTA_INDEX_KEY, DELTA_INDEX_NAME, findChangedSince, isLateWrite, nextModifiedTime } from './delta';
import type {
  ChangedPage,
  PatchResult,
  RecordCollection,
  RecordPatch,
  RecordWrite,
  StoredRecord,
  UpsertResult,
} from './record-store';
import { createChangeMarkers } from './change-markers';
import { contentHashOf } from './content-hash';
import {
  chunks,
  createIndex,
  defined,
  insertRefusals,
  isDuplicateKey,
  writeErrorsOf,
  type IndexSpec,
} from './mongo-helpers';
import { capabilitiesFor, findWithin, type StoreOptions } from './server-capabilities';

export { contentHashOf };

/*
 * The MongoDB implementation of RecordCollection (record-store.ts) for one module of the CRM or Books store,
 * and a smaller keyed collection for settings (org, roles, pipelines, views, currencies, …) that need no delta
 * reads. Both validate every record with the module's zod schema before writing anything, skip writes whose
 * content hash equals the stored one, and parse every document they read.
 */

// ---------------------------------------------------------------------------------------------------------
// Limits, errors, helpers

/** The most records one call writes: larger batches belong in several calls. */
export const MAX_BATCH = 10_000;
/** The most ids or names one read lists (a sync chunk reads its links, targets and candidates in one each). */
export const MAX_READ_LIST = 100_000;

/** Org ids and record ids: the API's id format, which has no `|`, so `${org}|${id}` is unambiguous. */
export const OrgIdSchema = RecordIdSchema;

const IdListSchema = z.array(RecordIdSchema).max(MAX_READ_LIST);
const SyncKeySchema = z.string().min(1).max(600);
const NormNameListSchema = z.array(z.string().max(MAX_NAME_LENGTH)).max(MAX_READ_LIST);
/** A top-level field of a record's data named in a filter: an API field name, never an operator or a path. */
const FieldNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must be a field API name');
const LookupValueSchema = z.union([
  z.string().max(1000),
  z.array(z.string().max(1000)).min(1).max(MAX_READ_LIST),
]);

/** Some records of a write were refused; nothing of the write was stored. */
export class InvalidRecordsError extends Error {
  override readonly name = 'InvalidRecords';
  constructor(
    readonly collection: string,
    readonly failures: RecordFailure[],
  ) {
    const shown = failures.slice(0, 5).map(describeFailure).join('; ');
    super(
      `${collection}: ${failures.length} invalid record(s), nothing written: ${shown}` +
        (failures.length > 5 ? `; and ${failures.length - 5} more` : ''),
    );
  }
}

/** Whether an error is the server's or the driver's (transient, for a retry), not one of the data. */
export function isServerFault(error: unknown): boolean {
  return error instanceof MongoError;
}

/** `#3 (id 42) Last_Name: required`, and each further problem: `; Email: must be an email address` */
export function describeFailure(failure: RecordFailure): string {
  const id = failure.id === undefined ? '' : ` (id ${failure.id})`;
  const problems = failure.problems ?? [failure];
  return `#${failure.index}${id} ${problems.map((p) => `${p.field}: ${p.reason}`).join('; ')}`;
}

/** The API's own modified-time text for a store time: CRM `…+00:00`, Books `…+0000` (their styles, in UTC). */
export function apiTimestamp(time: Date, modifiedField: ModifiedField): string {
  const seconds = time.toISOString().slice(0, 19);
  return modifiedField === 'Modified_Time' ? `${seconds}+00:00` : `${seconds}+0000`;
}

/**
 * Validates a batch of writes with `schema`; every refused record with index, id and each of its problems
 * (field and reason): the schema's, keys the store cannot keep, a name too long to look up, an id that
 * differs from the record's own.
 */
function validateWrites<T>(
  schema: z.ZodType<T>,
  writes: readonly { id: unknown; data: unknown }[],
  idKey: string | undefined,
  name?: { of: (data: T) => string; field: string },
): { parsed: T[]; failures: RecordFailure[] } {
  const parsed: T[] = [];
  const failures: RecordFailure[] = [];
  const firstIndexOf = new Map<string, number>();
  writes.forEach((write, index) => {
    const problems: FieldProblem[] = [];
    const idResult = RecordIdSchema.safeParse(write.id);
    const id = idResult.success ? idResult.data : undefined;
    if (!idResult.success) problems.push({ ...describeFirstIssue(idResult.error, write.id), field: 'id' });
    else {
      const earlier = firstIndexOf.get(idResult.data);
      if (earlier !== undefined)
        problems.push({ field: idKey ?? 'id', reason: `duplicate id: record #${earlier} has it too` });
      else firstIndexOf.set(idResult.data, index);
    }
    const result = schema.safeParse(write.data);
    if (!result.success) problems.push(...problemsOf(schema, write.data, result.error));
    else {
      for (const dotted of findUnsafeKeys(result.data, 20, { forbidDots: true }))
        problems.push({ field: dotted.path.join('.'), reason: `${dotted.reason} (not storable)` });
      const length = name ? normalizeName(name.of(result.data)).length : 0;
      if (name && length > MAX_NAME_LENGTH)
        problems.push({
          field: name.field,
          reason: `the name is ${length} characters long; at most ${MAX_NAME_LENGTH} are kept`,
        });
      const inner = idKey === undefined ? id : (result.data as Record<string, unknown>)[idKey];
      if (id !== undefined && idKey !== undefined && inner !== id)
        problems.push({ field: idKey, reason: `must equal the record id ${JSON.stringify(id)}` });
    }
    if (problems.length > 0)
      failures.push({ index, ...(id !== undefined && { id }), ...problems[0]!, problems });
    else parsed.push(result.data as T);
  });
  return { parsed, failures };
}

// ---------------------------------------------------------------------------------------------------------
// Writing on both servers

/** An index of a record or settings collection. */
export type RecordIndexSpec = IndexSpec;

/** A planned insert (of a record not yet stored) or version-guarded write, with what it sets. */
interface Planned {
  key: string;
  modifiedTime: Date;
  contentHash: string;
  /**
   * Whether the record's API modified-time field carries the write's stamp (and so follows a re-stamp), or the
   * source's own time (an import), which only the envelope's stamp leaves alone.
   */
  stampsData?: boolean;
  op: AnyBulkWriteOperation<RecordEnvelope>;
}

const isInsert = (p: Planned) => 'insertOne' in p.op;

/** Plans one record's write for the modified time its command is stamped with. */
type PlanAt<I> = (item: I, time: Date) => Planned;

/**
 * The most inserts one command carries: a command's stamp is taken just before it is sent, and the delta
 * cursor relies on the command becoming visible soon after (see delta.ts).
 */
const MAX_INSERTS_PER_COMMAND = 1000;

/** How often a late write is stamped again before the write is given up as failing (retryable). */
const MAX_RESTAMPS = 5;

/**
 * What a collection's writes need: each command is planned with a modified time taken just before it is
 * sent, and a command acknowledged late (delta.ts isLateWrite) stamps its records again. Between the stamp
 * and the command, `touch` sets the org's change marker (change-markers.ts says why in that order).
 */
interface Stamper {
  collection: Collection<RecordEnvelope>;
  modifiedField: ModifiedField;
  now: () => Date;
  maxUpdates: number;
  touch: () => Promise<void>;
}

/**
 * Plans `items` with one fresh stamp, sends them with `send` (which returns the keys that did not land), and
 * stamps the landed ones again when the command was late. Returns the plan and the keys that did not land.
 */
async function sendStamped<I>(
  s: Stamper,
  items: readonly I[],
  planAt: PlanAt<I>,
  send: (planned: Planned[]) => Promise<Set<string>>,
): Promise<{ planned: Planned[]; lost: Set<string> }> {
  const time = s.now();
  await s.touch();
  const planned = items.map((item) => planAt(item, time));
  const lost = await send(planned);
  if (isLateWrite(time, s.now()))
    await restamp(
      s,
      planned.filter((p) => !lost.has(p.key)),
    );
  return { planned, lost };
}

/**
 * Gives the records of a late command a fresh modified time, each only while it still carries the late one
 * (a later write has a fresh stamp of its own). Repeats while the re-stamp is late itself.
 */
async function restamp(s: Stamper, late: readonly Planned[]): Promise<void> {
  let pending = late.map((p) => ({ key: p.key, stamp: p.modifiedTime, stampsData: p.stampsData !== false }));
  for (let round = 1; pending.length > 0; round++) {
    if (round > MAX_RESTAMPS)
      throw new Error(
        `${s.collection.collectionName}: ${pending.length} write(s) stayed late through ${MAX_RESTAMPS} re-stamps`,
      );
    const again: typeof pending = [];
    for (const batch of chunks(pending, s.maxUpdates)) {
      const time = s.now();
      await s.touch();
      const stamped = batch.map(({ key, stamp, stampsData }) => ({
        key,
        stamp: nextModifiedTime(stamp, time),
        stampsData,
      }));
      await s.collection.bulkWrite(
        batch.map(({ key, stamp, stampsData }, i) => {
          const fresh = stamped[i]!.stamp;
          return {
            updateOne: {
              filter: { _id: key, modifiedTime: stamp },
              update: {
                $set: {
                  modifiedTime: fresh,
                  ...(stampsData && { [`data.${s.modifiedField}`]: apiTimestamp(fresh, s.modifiedField) }),
                },
              },
            },
          };
        }),
        { ordered: false },
      );
      if (isLateWrite(time, s.now())) again.push(...stamped);
    }
    pending = again;
  }
}

/** Of planned version-guarded writes, the keys whose record does not carry what was planned (a lost race). */
async function notLanded(s: Stamper, planned: readonly Planned[]): Promise<Set<string>> {
  if (planned.length === 0) return new Set();
  const stored = new Map(
    (
      await s.collection
        .find(
          { _id: { $in: planned.map((p) => p.key) } },
          { projection: { modifiedTime: 1, contentHash: 1 } },
        )
        .toArray()
    ).map((doc) => [doc._id, doc] as const),
  );
  const lost = new Set<string>();
  for (const p of planned) {
    const doc = stored.get(p.key);
    if (doc?.modifiedTime.getTime() !== p.modifiedTime.getTime() || doc.contentHash !== p.contentHash)
      lost.add(p.key);
  }
  return lost;
}

/**
 * Writes records: inserts of those not yet stored (fast everywhere; an upsert is an update on FerretDB, 40×
 * slower there) and version-guarded replacements of the others, each command stamped as it is sent. Returns
 * the keys whose write lost a race — an insert refused as a duplicate (both servers report those by index),
 * or a replacement whose version had moved, found by reading back what is stored — for the caller to plan
 * again. Two writers storing the same content at the same instant cannot be told apart, and both count the
 * write. On the last attempt a lost race is thrown instead: a duplicate key of another unique index (a sync
 * key in use by another record) ends there.
 */
async function applyPlanned<I>(
  s: Stamper,
  items: readonly I[],
  isNew: (item: I) => boolean,
  planAt: PlanAt<I>,
  lastAttempt: boolean,
): Promise<{ planned: Planned[]; lost: Set<string> }> {
  const batches = [
    ...chunks(items.filter(isNew), MAX_INSERTS_PER_COMMAND),
    ...chunks(
      items.filter((item) => !isNew(item)),
      s.maxUpdates,
    ),
  ];
  const all: Planned[] = [];
  const lost = new Set<string>();
  let refused: unknown;
  for (const batch of batches) {
    const sent = await sendStamped(s, batch, planAt, async (planned) => {
      const replacing = planned.filter((p) => !isInsert(p));
      const missed = new Set<string>();
      const suspects: Planned[] = [];
      try {
        const result = await s.collection.bulkWrite(
          planned.map((p) => p.op),
          { ordered: false },
        );
        if (result.matchedCount < replacing.length) suspects.push(...replacing);
      } catch (error) {
        if (!isDuplicateKey(error) || !(error instanceof MongoBulkWriteError)) throw error;
        refused = error;
        const failed = writeErrorsOf(error);
        if (failed.length === 0) suspects.push(...planned);
        for (const e of failed) {
          const p = planned[e.index];
          if (p) missed.add(p.key);
        }
        suspects.push(...replacing.filter((p) => !missed.has(p.key)));
      }
      for (const key of await notLanded(s, suspects)) missed.add(key);
      return missed;
    });
    all.push(...sent.planned);
    for (const key of sent.lost) lost.add(key);
  }
  if (lost.size > 0 && lastAttempt)
    throw (
      refused ??
      new Error(`${s.collection.collectionName}: ${lost.size} record(s) kept changing concurrently`)
    );
  return { planned: all, lost };
}

/**
 * Inserts records believed new in unordered bulks, each stamped as it is sent; returns the keys the server
 * refused as duplicates (stored already, or a sync key in use).
 */
async function insertNew<I>(s: Stamper, items: readonly I[], planAt: PlanAt<I>): Promise<Set<string>> {
  const refused = new Set<string>();
  for (const batch of chunks(items, MAX_INSERTS_PER_COMMAND)) {
    const { lost } = await sendStamped(s, batch, planAt, async (planned) => {
      const indexes = await insertRefusals(
        s.collection,
        planned.map((p) => p.op),
      );
      return new Set([...indexes].map((index) => planned[index]!.key));
    });
    for (const key of lost) refused.add(key);
  }
  return refused;
}

/**
 * The paths of `data` (under `prefix`) whose values differ from `base`: nested plain objects are compared
 * field by field, anything else (arrays, scalars) as a whole. What a per-field write sets and unsets.
 */
export function changedPaths(
  base: Readonly<Record<string, unknown>>,
  data: Readonly<Record<string, unknown>>,
  prefix: string,
  skip: ReadonlySet<string> = new Set(),
): { set: Record<string, unknown>; unset: string[] } {
  const out = { set: {} as Record<string, unknown>, unset: [] as string[] };
  const isPlain = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  const walk = (b: Readonly<Record<string, unknown>>, d: Readonly<Record<string, unknown>>, at: string) => {
    for (const key of new Set([...Object.keys(b), ...Object.keys(d)])) {
      if (at === prefix && skip.has(key)) continue;
      const path = `${at}.${key}`;
      const before = b[key];
      const after = d[key];
      if (after === undefined) {
        if (before !== undefined) out.unset.push(path);
      } else if (isPlain(before) && isPlain(after)) walk(before, after, path);
      else if (before === undefined || canonicalJson(before) !== canonicalJson(after)) out.set[path] = after;
    }
  };
  walk(base, data, prefix);
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Record collections

export type ModifiedField = 'Modified_Time' | 'last_modified_time';

export interface RecordCollectionOptions<T> extends StoreOptions {
  /** The MongoDB collection name, e.g. `crm_accounts`. */
  name: string;
  /** The module's record schema (validates writes and re-parses reads). */
  schema: z.ZodType<T>;
  /** The display name duplicates are matched on (S2.3); stored normalised as `normName`. */
  displayName: (data: T) => string;
  /** The field the display name comes from, named when a name is refused (default `name`). */
  nameField?: string;
  /** The API's modified-time field the store stamps on every write. */
  modifiedField: ModifiedField;
  /** Where the record's own id is in `data` (`id`, `contact_id`, …): a write's id must equal it. */
  idKey?: string;
  /**
   * Further indexed paths `findWhere` may filter on (e.g. `data.Account_Name.id`), each with its index.
   * `normName` is always allowed.
   */
  lookups?: readonly { field: string; index: RecordIndexSpec }[];
}

/** A record collection plus what the stores built on it need. */
export interface MongoRecordCollection<T> extends RecordCollection<T> {
  readonly name: string;
  /** Every index of the collection, as `ensureIndexes` creates them. */
  readonly indexes: readonly RecordIndexSpec[];
  /** Creates the indexes. Idempotent; awaited once at start-up; fails on a server error. */
  ensureIndexes(): Promise<void>;
  /**
   * Live records of `org` whose allow-listed `fields` equal the given string (or one of the given strings).
   * One query over the lookup's index. Throws for a field that is not allow-listed or a non-string value.
   */
  findWhere(
    org: string,
    fields: Readonly<Record<string, string | readonly string[]>>,
  ): Promise<StoredRecord<T>[]>;
  /** Records of `org`, including deleted ones. */
  countAll(org: string): Promise<number>;
  /**
   * Writes records the way an import of the products' API data must: each record is merged over the stored
   * one, so the fields a list response leaves out (an invoice list has no `line_items`) keep their stored
   * values, and the record's own modified-time field (`Modified_Time`, `last_modified_time`) is kept as the
   * source gave it; only a record without one gets the write time. The envelope's `modifiedTime`, which delta
   * reads follow, is the write time as for every write. A record equal to the stored one, its modified time
   * included, is not written. Idempotent. Throws InvalidRecordsError (nothing written) for a record that is
   * invalid on its own; one that becomes invalid merged with the stored one is returned in `refused`,
   * unwritten.
   */
  importMany(org: string, records: readonly RecordWrite<T>[]): Promise<ImportManyResult>;
}

export interface ImportManyResult extends UpsertResult {
  /** Records refused once merged with the stored one (index into the write), not written. */
  refused: RecordFailure[];
}

/** The stored envelope: see record-store.ts. */
interface RecordEnvelope {
  _id: string;
  org: string;
  id: string;
  modifiedTime: Date;
  createdTime: Date;
  normName: string;
  deleted: boolean;
  syncKey?: string;
  contentHash: string;
  data: Document;
}

/** What upsertMany reads of an existing record to decide whether and how to write it. */
const ExistingSchema = z.object({
  _id: z.string(),
  modifiedTime: z.date(),
  createdTime: z.date().optional(),
  contentHash: z.string(),
  deleted: z.boolean(),
  syncKey: z.string().optional(),
  /** Read by an import only, which merges the record it writes over it. */
  data: z.record(z.string(), z.unknown()).optional(),
});

/** The `_id` of a record: org and id, which cannot contain `|`. */
export const recordKey = (org: string, id: string) => `${org}|${id}`;

/** Up to this many records by key are read with one point read each (see byKeys). */
const POINT_READS_AT_MOST = 8;

/** A stored record's place in the delta order: the cursor a read that stops at it returns. */
export function positionOf(record: { org: string; id: string; modifiedTime: Date }): DeltaCursor {
  return { modifiedTime: record.modifiedTime.toISOString(), id: recordKey(record.org, record.id) };
}

/** The filter of a duplicate-name lookup (exported so tests can `explain` exactly what the store runs). */
export function normNameFilter(org: string, normNames: readonly string[]): Document {
  return {
    org: OrgIdSchema.parse(org),
    normName: { $in: NormNameListSchema.parse(normNames) },
    deleted: false,
  };
}

/** The indexes of every record collection. */
export function recordIndexes(extra: readonly RecordIndexSpec[] = []): RecordIndexSpec[] {
  return [
    { name: DELTA_INDEX_NAME, key: { ...DELTA_INDEX_KEY } },
    { name: 'org_normName', key: { org: 1, normName: 1 } },
    { name: 'org_syncKey', key: { org: 1, syncKey: 1 }, unique: true, partialOnField: 'syncKey' },
    { name: 'org_id', key: { org: 1, id: 1 }, unique: true },
    ...extra,
  ];
}

/** The MongoDB implementation of one module's RecordCollection over an injected `Db`. */
export function createRecordCollection<T>(
  db: Db,
  options: RecordCollectionOptions<T>,
): MongoRecordCollection<T> {
  const { name, schema, displayName, modifiedField, idKey } = options;
  const naming = { of: displayName, field: options.nameField ?? 'name' };
  const now = options.now ?? (() => new Date());
  const collection = db.collection<RecordEnvelope>(name);
  const lookups = new Set(['normName', ...(options.lookups ?? []).map((l) => l.field)]);
  const indexes = recordIndexes((options.lookups ?? []).map((l) => l.index));
  const capabilities = capabilitiesFor(db, options.capabilities);
  const markers = createChangeMarkers(db, now);

  /** The stamper of a write of `org`'s records on this server. */
  const stamperFor = async (org: string): Promise<Stamper> => ({
    collection,
    modifiedField,
    now,
    maxUpdates: (await capabilities()).maxUpdatesPerCommand,
    touch: () => markers.touch(name, org),
  });

  const EnvelopeSchema = z.object({
    _id: z.string(),
    org: z.string(),
    id: z.string(),
    modifiedTime: z.date(),
    normName: z.string(),
    deleted: z.boolean(),
    syncKey: z.string().optional(),
    contentHash: z.string(),
    data: schema,
  });

  function parse(doc: unknown): StoredRecord<T> {
    const result = EnvelopeSchema.safeParse(doc);
    if (!result.success) {
      const { field, reason } = describeFirstIssue(result.error, doc);
      const id = doc !== null && typeof doc === 'object' && '_id' in doc ? String(doc._id) : '?';
      throw new Error(`${name}: stored document ${id} does not parse: ${field}: ${reason}`);
    }
    const { org, id, modifiedTime, normName, deleted, syncKey, data } = result.data;
    return defined({ id, org, modifiedTime, normName, deleted, syncKey, data }) as StoredRecord<T>;
  }

  /**
   * The stored documents of an org under these record keys, in key order. A few are read with one `{_id}`
   * point read each, sent together: on FerretDB any other filter, an `$in` on `_id` included, decodes the
   * whole collection, and the single-record writes of documents and deals would pay that on every write.
   * The key holds the org, so the point read needs no org filter. More keys go as one `$in` read.
   */
  const byKeys = async (org: string, keys: readonly string[], projection?: Document): Promise<Document[]> => {
    if (keys.length > POINT_READS_AT_MOST)
      return findWithin(
        await capabilities(),
        collection,
        { org },
        { _id: keys },
        {
          sort: { _id: 1 },
          ...(projection && { projection }),
        },
      );
    const sorted = [...new Set(keys)].sort();
    const found = await Promise.all(
      sorted.map((key) => collection.findOne({ _id: key }, projection ? { projection } : {})),
    );
    return found.filter((doc): doc is WithId<RecordEnvelope> => doc !== null);
  };

  /** `filter` plus, per path of `within`, one of its values (see findWithin for long lists). */
  const find = async (
    filter: Document,
    within: Readonly<Record<string, readonly string[]>> = {},
    sort: Sort = { _id: 1 },
  ) =>
    (
      await findWithin(await capabilities(), collection, filter as Filter<RecordEnvelope>, within, { sort })
    ).map(parse);

  /**
   * upsertMany (`replace`: each record as given, its modified-time field stamped with the write time) and
   * importMany (`import`: each record merged over the stored one, its own modified time kept when it has one).
   * Either way the envelope's `modifiedTime` is the write time, stamped per command, which delta reads follow.
   */
  async function writeRecords(
    org: string,
    records: readonly RecordWrite<T>[],
    mode: 'replace' | 'import',
  ): Promise<ImportManyResult> {
    const o = OrgIdSchema.parse(org);
    if (records.length > MAX_BATCH) throw new Error(`${name}: at most ${MAX_BATCH} records per write`);
    const { parsed, failures } = validateWrites(schema, records, idKey, naming);
    if (failures.length > 0) throw new InvalidRecordsError(name, failures);

    const result: ImportManyResult = { inserted: 0, updated: 0, unchanged: 0, refused: [] };
    let pending = records.map((record, index) => {
      const data = parsed[index] as T;
      const given = (data as Record<string, unknown>)[modifiedField];
      return {
        index,
        key: recordKey(o, record.id),
        id: record.id,
        syncKey: record.syncKey === undefined ? undefined : SyncKeySchema.parse(record.syncKey),
        data,
        // An import keeps the source's modified time (the record's truth); other writes stamp their own.
        sourceTime: mode === 'import' && typeof given === 'string' && given !== '' ? given : undefined,
      };
    });
    type Pending = (typeof pending)[number];
    type Existing = z.infer<typeof ExistingSchema>;

    /** What a write stores over `current`: an import keeps the stored fields the record does not carry. */
    const contentOf = (
      write: Pending,
      current: Existing | undefined,
    ): { content: Document } | { refused: RecordFailure } => {
      if (mode !== 'import' || current?.data === undefined) return { content: write.data as Document };
      const input = { ...current.data, ...(write.data as Document) };
      const merged = schema.safeParse(input);
      if (merged.success) return { content: merged.data as Document };
      const problems = problemsOf(schema, input, merged.error);
      return { refused: { index: write.index, id: write.id, ...problems[0]!, problems } };
    };

    const plan = (write: Pending, content: Document, current: Existing | undefined, time: Date): Planned => {
      const modifiedTime = nextModifiedTime(current?.modifiedTime, time);
      const hash = contentHashOf(content, modifiedField);
      const envelope: RecordEnvelope = defined({
        _id: write.key,
        org: o,
        id: write.id,
        createdTime: current?.createdTime ?? time,
        modifiedTime,
        normName: normalizeName(displayName(content as T)),
        deleted: false,
        // A write without a sync key keeps the one the record has.
        syncKey: write.syncKey ?? current?.syncKey,
        contentHash: hash,
        data: { ...content, [modifiedField]: write.sourceTime ?? apiTimestamp(modifiedTime, modifiedField) },
      });
      return {
        key: write.key,
        modifiedTime,
        contentHash: hash,
        stampsData: write.sourceTime === undefined,
        op: current
          ? {
              // Whole-document replacement, guarded by the version read: a concurrent write in between makes
              // it match nothing (on MongoDB; see the test on FerretDB v1), and it is planned again.
              replaceOne: {
                filter: { _id: write.key, modifiedTime: current.modifiedTime },
                replacement: envelope,
              },
            }
          : { insertOne: { document: envelope } },
      };
    };

    const caps = await capabilities();
    const s = await stamperFor(o);
    if (caps.insertBeforeRead) {
      // Where the read below decodes the whole collection (FerretDB v1 pushes no `$in` down: about 0.2-0.4 ms
      // per stored record, every call), inserting first costs nothing for records that are new, and it
      // reports refused duplicates by index, so only records already stored go on to the read.
      const refused = await insertNew(s, pending, (write, time) =>
        plan(write, write.data as Document, undefined, time),
      );
      result.inserted += pending.length - refused.size;
      pending = pending.filter((w) => refused.has(w.key));
    }
    // A write that lost a race with a concurrent writer of the same record is planned again on what that
    // writer stored; a few rounds settle any realistic contention.
    const projection = { modifiedTime: 1, createdTime: 1, contentHash: 1, deleted: 1, syncKey: 1 };
    for (let attempt = 1; pending.length > 0; attempt++) {
      const existing = new Map(
        (
          await byKeys(
            o,
            pending.map((w) => w.key),
            mode === 'import' ? { ...projection, data: 1 } : projection,
          )
        ).map((doc) => {
          const e = ExistingSchema.parse(doc);
          return [e._id, e] as const;
        }),
      );
      const intents: { write: Pending; content: Document; current: Existing | undefined }[] = [];
      for (const write of pending) {
        const current = existing.get(write.key);
        const merged = contentOf(write, current);
        if ('refused' in merged) {
          result.refused.push(merged.refused);
          continue;
        }
        const { content } = merged;
        const sameSyncKey = write.syncKey === undefined || write.syncKey === current?.syncKey;
        const sameTime =
          write.sourceTime === undefined || write.sourceTime === current?.data?.[modifiedField];
        if (
          current &&
          current.contentHash === contentHashOf(content, modifiedField) &&
          !current.deleted &&
          sameSyncKey &&
          sameTime
        ) {
          result.unchanged++;
          continue;
        }
        intents.push({ write, content, current });
      }
      const { planned, lost } = await applyPlanned(
        s,
        intents,
        (i) => i.current === undefined,
        (i, time) => plan(i.write, i.content, i.current, time),
        attempt >= 3,
      );
      for (const p of planned) {
        if (lost.has(p.key)) continue;
        if (isInsert(p)) result.inserted++;
        else result.updated++;
      }
      pending = pending.filter((w) => lost.has(w.key));
    }
    return result;
  }

  return {
    name,
    indexes,

    async ensureIndexes() {
      for (const spec of indexes) await createIndex(collection as unknown as Collection<Document>, spec);
    },

    async changeMarker(org) {
      return markers.read(name, OrgIdSchema.parse(org));
    },

    async findChangedSince(org, after, limit, options = {}): Promise<ChangedPage<T>> {
      const without =
        options.withoutField === undefined ? undefined : FieldNameSchema.parse(options.withoutField);
      const page = await findChangedSince(collection, {
        org: OrgIdSchema.parse(org),
        after,
        limit,
        ...(without !== undefined && {
          extraFilter: { [`data.${without}`]: null } as Filter<RecordEnvelope>,
        }),
      });
      const records: StoredRecord<T>[] = [];
      const unreadable: NonNullable<ChangedPage<T>['unreadable']> = [];
      for (const doc of page.docs) {
        const result = EnvelopeSchema.safeParse(doc);
        if (result.success) {
          records.push(parse(doc));
          continue;
        }
        const issue = describeFirstIssue(result.error, doc);
        // Named as the record's own field (`Employees`), not the envelope's path to it (`data.Employees`).
        const field = issue.field.startsWith('data.') ? issue.field.slice('data.'.length) : issue.field;
        const { reason } = issue;
        const raw = doc as Partial<RecordEnvelope>;
        const data =
          raw.data !== null && typeof raw.data === 'object' ? (raw.data as Record<string, unknown>) : {};
        unreadable.push({ id: typeof raw.id === 'string' ? raw.id : String(doc._id), field, reason, data });
      }
      return {
        records,
        next: page.next,
        position: page.position,
        ...(unreadable.length > 0 && { unreadable }),
      };
    },

    async findByIds(org, ids) {
      const o = OrgIdSchema.parse(org);
      const list = IdListSchema.parse(ids);
      if (list.length === 0) return [];
      return (
        await byKeys(
          o,
          list.map((id) => recordKey(o, id)),
        )
      ).map(parse);
    },

    async findByNormNames(org, normNames) {
      if (normNames.length === 0) return [];
      const { normName, ...rest } = normNameFilter(org, normNames);
      return find(rest, { normName: (normName as { $in: string[] }).$in }, { normName: 1, _id: 1 });
    },

    async findByIdsAndNormNames(org, ids, normNames) {
      const o = OrgIdSchema.parse(org);
      const keys = new Set(IdListSchema.parse(ids).map((id) => recordKey(o, id)));
      const names = new Set(NormNameListSchema.parse(normNames));
      const found = await findWithin(
        await capabilities(),
        collection,
        { org: o },
        { _id: [...keys], normName: [...names] },
        { any: true, sort: { normName: 1, _id: 1 } },
      );
      const byId: StoredRecord<T>[] = [];
      const byName: StoredRecord<T>[] = [];
      for (const doc of found) {
        const record = parse(doc);
        if (keys.has(doc._id)) byId.push(record);
        if (names.has(doc.normName) && !record.deleted) byName.push(record);
      }
      // findByIds' order (by _id, which is org|id) for the ids; findByNormNames' for the names.
      byId.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return { byId, byName };
    },

    async searchByName(org, text, limit) {
      const needle = normalizeName(z.string().min(1).max(200).parse(text));
      const n = z.number().int().positive().max(1000).parse(limit);
      const escaped = needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const found = await collection
        .find({
          org: OrgIdSchema.parse(org),
          deleted: false,
          normName: { $regex: escaped },
        } as Filter<RecordEnvelope>)
        .sort({ normName: 1, _id: 1 })
        .limit(n)
        .toArray();
      return found.map(parse);
    },

    async findWhere(org, fields) {
      const filter: Document = { org: OrgIdSchema.parse(org), deleted: false };
      const within: Record<string, string[]> = {};
      for (const [field, raw] of Object.entries(fields)) {
        if (!lookups.has(field)) throw new Error(`${name}: ${field} is not a lookup field`);
        const value = LookupValueSchema.parse(raw);
        if (typeof value === 'string') filter[field] = value;
        else within[field] = value;
      }
      return find(filter, within);
    },

    /**
     * RecordCollection.upsertMany. On MongoDB: one read of the stored versions, then one unordered bulkWrite
     * of inserts and version-guarded replacements. On FerretDB v1: inserts first, then the read and the
     * replacements in commands of at most the capabilities' maxUpdatesPerCommand. Idempotent.
     * An invalid record throws InvalidRecordsError naming index, id, field and reason, and nothing is written.
     */
    async upsertMany(org, records: readonly RecordWrite<T>[]): Promise<UpsertResult> {
      const { refused, ...result } = await writeRecords(org, records, 'replace');
      // Replacements are the records as given, validated before anything was written: none is refused.
      if (refused.length > 0) throw new InvalidRecordsError(name, refused);
      return result;
    },

    async importMany(org, records) {
      return writeRecords(org, records, 'import');
    },

    /**
     * RecordCollection.patchMany: per record, only the paths whose value differs from the version read, in
     * updates that match only that version (still unchanged since, and not deleted), stamped per command.
     */
    async patchMany(org, patches: readonly RecordPatch<T>[]): Promise<PatchResult> {
      const o = OrgIdSchema.parse(org);
      if (patches.length > MAX_BATCH) throw new Error(`${name}: at most ${MAX_BATCH} records per write`);
      const { parsed, failures } = validateWrites(schema, patches, idKey, naming);
      if (failures.length > 0) throw new InvalidRecordsError(name, failures);
      const result: PatchResult = { updated: 0, unchanged: 0, stale: [] };
      const skip = new Set([modifiedField]);
      const intents = patches.flatMap((patch, index) => {
        const data = parsed[index] as Document;
        const expected = z.date().parse(patch.expectedModifiedTime);
        const changes = changedPaths(patch.base as Document, data, 'data', skip);
        if (Object.keys(changes.set).length === 0 && changes.unset.length === 0) {
          result.unchanged++;
          return [];
        }
        const hash = contentHashOf(data, modifiedField);
        return [{ key: recordKey(o, patch.id), id: patch.id, expected, changes, hash, data }];
      });
      const planAt: PlanAt<(typeof intents)[number]> = (i, time) => {
        const modifiedTime = nextModifiedTime(i.expected, time);
        return {
          key: i.key,
          modifiedTime,
          contentHash: i.hash,
          op: {
            updateOne: {
              filter: { _id: i.key, modifiedTime: i.expected, deleted: false },
              update: {
                $set: {
                  ...i.changes.set,
                  [`data.${modifiedField}`]: apiTimestamp(modifiedTime, modifiedField),
                  modifiedTime,
                  contentHash: i.hash,
                  normName: normalizeName(displayName(i.data as T)),
                },
                ...(i.changes.unset.length > 0 && {
                  $unset: Object.fromEntries(i.changes.unset.map((path) => [path, ''])),
                }),
              },
            },
          },
        };
      };
      const s = await stamperFor(o);
      for (const batch of chunks(intents, s.maxUpdates)) {
        const { planned, lost } = await sendStamped(s, batch, planAt, async (planned) => {
          const { matchedCount } = await collection.bulkWrite(
            planned.map((p) => p.op),
            { ordered: false },
          );
          return matchedCount === planned.length ? new Set<string>() : notLanded(s, planned);
        });
        for (const p of planned) {
          if (lost.has(p.key)) result.stale.push(p.key.slice(o.length + 1));
          else result.updated++;
        }
      }
      return result;
    },

    async markDeleted(org, ids) {
      const o = OrgIdSchema.parse(org);
      const list = IdListSchema.parse(ids);
      if (list.length === 0) return 0;
      const live = (
        await collection
          .find(
            { _id: { $in: list.map((id) => recordKey(o, id)) }, deleted: false },
            { projection: { modifiedTime: 1 } },
          )
          .toArray()
      ).map((doc) => ({ key: doc._id, previous: z.date().parse(doc.modifiedTime) }));
      const s = await stamperFor(o);
      const planAt: PlanAt<(typeof live)[number]> = ({ key, previous }, time) => {
        const modifiedTime = nextModifiedTime(previous, time);
        return {
          key,
          modifiedTime,
          contentHash: '',
          op: {
            updateOne: {
              filter: { _id: key, deleted: false },
              update: {
                $set: {
                  deleted: true,
                  modifiedTime,
                  [`data.${modifiedField}`]: apiTimestamp(modifiedTime, modifiedField),
                },
              },
            },
          },
        };
      };
      let marked = 0;
      for (const batch of chunks(live, s.maxUpdates))
        await sendStamped(s, batch, planAt, async (planned) => {
          marked += (
            await collection.bulkWrite(
              planned.map((p) => p.op),
              { ordered: false },
            )
          ).modifiedCount;
          return new Set<string>();
        });
      return marked;
    },

    async count(org) {
      return collection.countDocuments({ org: OrgIdSchema.parse(org), deleted: false });
    },

    async countAll(org) {
      return collection.countDocuments({ org: OrgIdSchema.parse(org) });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Settings collections

export interface SettingsCollectionOptions<T> extends StoreOptions {
  name: string;
  schema: z.ZodType<T>;
  /** The document's id, unique within its org (`id`, `currency_id`, `customfield_id`, …). */
  idOf: (doc: T) => string;
  /** What `list` can narrow by, when the document says it itself (a view's module); a save may also give it. */
  scopeOf?: (doc: T) => string | undefined;
}

export interface SaveResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Keyed documents of an org (settings and metadata): saved whole, read whole. */
export interface SettingsCollection<T> {
  readonly name: string;
  readonly indexes: readonly RecordIndexSpec[];
  /** Creates the indexes. Idempotent; awaited once at start-up. */
  ensureIndexes(): Promise<void>;
  /** The document, parsed; undefined when absent. Throws a ZodError for a malformed org or id. */
  get(org: string, id: string): Promise<T | undefined>;
  /** Every document of `org` (of one scope when given), in id order. One indexed query. */
  list(org: string, scope?: string): Promise<T[]>;
  /**
   * Inserts or replaces documents by id in one unordered bulk write; unchanged ones are not written.
   * Idempotent. Throws InvalidRecordsError (nothing written) when any document fails the schema.
   */
  saveMany(org: string, docs: readonly unknown[], scope?: string): Promise<SaveResult>;
}

interface SettingsEnvelope {
  _id: string;
  org: string;
  id: string;
  scope?: string;
  modifiedTime: Date;
  contentHash: string;
  data: Document;
}

const ScopeSchema = z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be 1-64 letters, digits or "_"');

/** The MongoDB implementation of a settings collection over an injected `Db`. */
export function createSettingsCollection<T>(
  db: Db,
  options: SettingsCollectionOptions<T>,
): SettingsCollection<T> {
  const { name, schema, idOf, scopeOf } = options;
  const now = options.now ?? (() => new Date());
  const collection = db.collection<SettingsEnvelope>(name);
  const indexes: RecordIndexSpec[] = [{ name: 'org_scope_id', key: { org: 1, scope: 1, id: 1 } }];
  const parse = (doc: unknown): T => z.object({ data: schema }).parse(doc).data;
  const capabilities = capabilitiesFor(db, options.capabilities);

  return {
    name,
    indexes,

    async ensureIndexes() {
      for (const spec of indexes) await createIndex(collection as unknown as Collection<Document>, spec);
    },

    async get(org, id) {
      const doc = await collection.findOne({
        _id: recordKey(OrgIdSchema.parse(org), RecordIdSchema.parse(id)),
      });
      return doc ? parse(doc) : undefined;
    },

    async list(org, scope) {
      const filter: Filter<SettingsEnvelope> = { org: OrgIdSchema.parse(org) };
      if (scope !== undefined) filter.scope = ScopeSchema.parse(scope);
      return (await collection.find(filter).sort({ org: 1, scope: 1, id: 1 }).toArray()).map(parse);
    },

    async saveMany(org, docs, scope) {
      const o = OrgIdSchema.parse(org);
      const given = scope === undefined ? undefined : ScopeSchema.parse(scope);
      if (docs.length > MAX_BATCH) throw new Error(`${name}: at most ${MAX_BATCH} documents per save`);
      const failures: RecordFailure[] = [];
      const parsed: { id: string; scope: string | undefined; data: T }[] = [];
      const seen = new Map<string, number>();
      docs.forEach((raw, index) => {
        const result = schema.safeParse(raw);
        if (!result.success) {
          failures.push({ index, ...describeFirstIssue(result.error, raw) });
          return;
        }
        const rawId = idOf(result.data);
        const id = RecordIdSchema.safeParse(rawId);
        const s = given ?? scopeOf?.(result.data);
        const scoped = s === undefined ? undefined : ScopeSchema.safeParse(s);
        if (!id.success) {
          failures.push({ index, field: 'id', reason: describeFirstIssue(id.error, rawId).reason });
        } else if (scoped && !scoped.success) {
          const reason = describeFirstIssue(scoped.error, s).reason;
          failures.push({ index, id: id.data, field: 'scope', reason });
        } else {
          const earlier = seen.get(id.data);
          if (earlier !== undefined)
            failures.push({
              index,
              id: id.data,
              field: 'id',
              reason: `duplicate id: #${earlier} has it too`,
            });
          seen.set(id.data, index);
          parsed.push({ id: id.data, scope: scoped?.data, data: result.data });
        }
      });
      if (failures.length > 0) throw new InvalidRecordsError(name, failures);
      if (parsed.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };

      const hashes = new Map(
        (
          await collection
            .find({ _id: { $in: parsed.map((p) => recordKey(o, p.id)) } }, { projection: { contentHash: 1 } })
            .toArray()
        ).map((doc) => [doc._id, doc.contentHash] as const),
      );
      const time = now();
      let unchanged = 0;
      const ops: AnyBulkWriteOperation<SettingsEnvelope>[] = [];
      for (const p of parsed) {
        const key = recordKey(o, p.id);
        // The scope is part of what is saved: a view moved to another module is a change.
        const hash = contentHashOf({ scope: p.scope, data: p.data }, '');
        if (hashes.get(key) === hash) {
          unchanged++;
          continue;
        }
        ops.push({
          updateOne: {
            filter: { _id: key },
            update: {
              $set: defined({
                modifiedTime: time,
                contentHash: hash,
                scope: p.scope,
                data: p.data as Document,
              }),
              ...(p.scope === undefined ? { $unset: { scope: '' } } : {}),
              $setOnInsert: { org: o, id: p.id },
            },
            upsert: true,
          },
        });
      }
      const saved = { inserted: 0, updated: 0, unchanged };
      // Settings are few: idempotent upserts (no insert race to handle), bounded per command on FerretDB.
      for (const chunk of chunks(ops, (await capabilities()).maxUpdatesPerCommand)) {
        const result = await collection.bulkWrite(chunk, { ordered: false });
        saved.inserted += result.upsertedCount;
        saved.updated += result.matchedCount;
      }
      return saved;
    },
  };
}
