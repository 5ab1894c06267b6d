import { z } from 'zod';
import { findUnsafeKeys, unsafeKeyReason } from './safe-keys';

/*
 * Field formats shared by the CRM and Books schemas, the per-record validation that turns zod issues into
 * failures an operator can read (S3.5, S9.6), and the parsing of API list responses into records.
 */

// ---------------------------------------------------------------------------------------------------------
// Field formats

/** Ids as both APIs give them (numeric strings in Zoho), and safe to embed in workflow ids. */
export const RecordIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]*$/, 'must be letters, digits, ".", "_", ":" or "-"');

function isCalendarDate(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar date, `YYYY-MM-DD` (Zoho's date fields: `Closing_Date`, `date`, `due_date`). */
export const IsoDateSchema = z
  .string()
  .regex(DATE, 'must be a date as YYYY-MM-DD')
  .refine((value) => {
    const [, y, m, d] = DATE.exec(value) ?? [];
    return isCalendarDate(Number(y), Number(m), Number(d));
  }, 'is not a calendar date');

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):?[0-5]\d)$/;

/**
 * An ISO 8601 timestamp with a zone: CRM's `2019-05-03T11:58:57+05:30`, Books' `2013-11-18T02:17:40-0800`
 * (no colon in the offset) and `…Z` are all accepted as given.
 */
export const TimestampSchema = z
  .string()
  .regex(TIMESTAMP, 'must be an ISO 8601 timestamp with a time zone')
  .refine((value) => {
    const [, y, m, d] = TIMESTAMP.exec(value) ?? [];
    return isCalendarDate(Number(y), Number(m), Number(d));
  }, 'is not a calendar date');

/** ISO 4217 code, upper case. Whether money.ts knows its precision is checked where amounts are computed. */
export const CurrencyCodeSchema = z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO 4217 currency code');

/** Deliberately loose: the products accept addresses a strict RFC parser would refuse. */
export const EmailSchema = z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, 'must be an email address');

/** A JSON scalar: the values of custom fields and criteria. */
export const JsonScalarSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

// ---------------------------------------------------------------------------------------------------------
// Validating records

/** One problem of a record: the failing path, dotted (`line_items.0.quantity`), and why. */
export interface FieldProblem {
  field: string;
  reason: string;
}

/**
 * Why one record of a batch was refused. `field` and `reason` are its first problem; `problems`, when given,
 * lists every problem found (that first one included), one per field, so a record is fixed in one pass.
 */
export interface RecordFailure {
  index: number;
  id?: string;
  field: string;
  reason: string;
  problems?: FieldProblem[];
}

export interface ValidationResult<T> {
  valid: T[];
  invalid: RecordFailure[];
}

export interface ValidateOptions {
  /** Where the record's id is (`id` for CRM, `contact_id`, `invoice_id`, … for Books). Default `id`. */
  idKey?: string;
}

/** Field name used when the record itself, not one of its fields, is wrong (e.g. not an object). */
export const ROOT_FIELD = '(record)';

/**
 * Splits a batch into parsed records and failures, one failure per refused record with every problem found
 * (its first failing field and reason, and the list of all). Pure; never throws for bad records, so a page
 * goes on past them.
 */
export function validateRecords<S extends z.ZodType>(
  schema: S,
  records: readonly unknown[],
  options: ValidateOptions = {},
): ValidationResult<z.output<S>> {
  const valid: z.output<S>[] = [];
  const invalid: RecordFailure[] = [];
  records.forEach((record, index) => {
    const result = schema.safeParse(record);
    if (result.success) {
      valid.push(result.data);
      return;
    }
    const problems = problemsOf(schema, record, result.error);
    const failure: RecordFailure = { index, ...problems[0]!, problems };
    const id = recordId(record, options.idKey ?? 'id');
    if (id !== undefined) failure.id = id;
    invalid.push(failure);
  });
  return { valid, invalid };
}

/** The record's id as a string, when it has a usable one. */
export function recordId(record: unknown, idKey = 'id'): string | undefined {
  if (record === null || typeof record !== 'object' || !Object.hasOwn(record, idKey)) return undefined;
  const value = (record as Record<string, unknown>)[idKey];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The first issue of a failed parse as a dotted field path and a reason. */
export function describeFirstIssue(error: z.ZodError, input: unknown): { field: string; reason: string } {
  const issue = error.issues[0];
  if (issue === undefined) return { field: ROOT_FIELD, reason: 'invalid' };
  const field = issue.path.length === 0 ? ROOT_FIELD : issue.path.map(String).join('.');
  return { field, reason: reasonOf(issue, valueAt(input, issue.path), issue.path.length === 0) };
}

/** Every issue of a failed parse as a dotted field path and a reason, one per field, in zod's order. */
export function describeIssues(error: z.ZodError, input: unknown): FieldProblem[] {
  const byField = new Map<string, string>();
  for (const issue of error.issues) {
    const field = issue.path.length === 0 ? ROOT_FIELD : issue.path.map(String).join('.');
    if (!byField.has(field))
      byField.set(field, reasonOf(issue, valueAt(input, issue.path), issue.path.length === 0));
  }
  if (byField.size === 0) return [{ field: ROOT_FIELD, reason: 'invalid' }];
  return [...byField].map(([field, reason]) => ({ field, reason }));
}

/**
 * Every problem of an input that `schema` refused with `error`. A record schema checks for unsafe keys
 * (`$gt`, `__proto__`) before it parses any field and stops there, so when those are all that was reported,
 * the input is parsed again without them to find the problems of its fields too.
 */
export function problemsOf(schema: z.ZodType, input: unknown, error: z.ZodError): FieldProblem[] {
  const problems = describeIssues(error, input);
  const unsafe = findUnsafeKeys(input, 20);
  const onlyKeys = unsafe.every((u) => {
    const key = u.path[u.path.length - 1];
    return typeof key === 'string' && unsafeKeyReason(key) !== undefined;
  });
  if (unsafe.length === 0 || !onlyKeys) return problems;
  const again = schema.safeParse(withoutUnsafeKeys(input));
  if (again.success) return problems;
  const seen = new Set(problems.map((p) => p.field));
  return [...problems, ...describeIssues(again.error, input).filter((p) => !seen.has(p.field))];
}

/** A copy of a JSON-like value without the keys unsafeKeyReason refuses. */
function withoutUnsafeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUnsafeKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => unsafeKeyReason(key) === undefined)
      .map(([key, v]) => [key, withoutUnsafeKeys(v)]),
  );
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const bound = (inclusive: boolean | undefined, strict: string, loose: string) => (inclusive ? loose : strict);

function reasonOf(issue: z.core.$ZodIssue, value: unknown, isRoot: boolean): string {
  // Zoho sends null for an empty field, so a null that fails a type or enum is a missing value too.
  const missing = !isRoot && (value === undefined || value === null);
  switch (issue.code) {
    case 'invalid_type':
      return missing ? 'required' : `expected ${issue.expected}, got ${typeName(value)}`;
    case 'invalid_value': {
      if (missing) return 'required';
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
      return issue.values.length === 1
        ? `must be ${allowed}, got ${JSON.stringify(value)}`
        : `unknown value ${JSON.stringify(value)}; expected one of ${allowed}`;
    }
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string')
        return issue.minimum === 1 ? 'required' : `must be at least ${issue.minimum} characters`;
      return `must be ${bound(issue.inclusive, '>', '>=')} ${issue.minimum}, got ${JSON.stringify(value)}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `must be ${bound(issue.inclusive, '<', '<=')} ${issue.maximum}, got ${JSON.stringify(value)}`;
    case 'invalid_union':
      return `${JSON.stringify(value)} matches none of the accepted forms`;
    default:
      // Our schemas give their formats and refinements readable messages; zod's own are the fallback.
      return issue.message;
  }
}

// ---------------------------------------------------------------------------------------------------------
// API list responses

/** A list response that is neither a CRM nor a Books list nor NDJSON, or that reports an API error. */
export class ListResponseError extends Error {
  override readonly name = 'ListResponseError';
}

export type ListFormat = 'crm' | 'books' | 'ndjson' | 'array';

export interface ListPage {
  format: ListFormat;
  records: unknown[];
  /** CRM `info.more_records` / Books `page_context.has_more_page`; false when the format has no paging. */
  hasMore: boolean;
  page?: number;
}

export interface ListOptions {
  /** The Books list key (`contacts`, `invoices`, …); needed only when a response holds several arrays. */
  booksKey?: string;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads one page of a list: a CRM response `{"data": […], "info": {…}}`, a Books response
 * `{"code": 0, "message": "success", "<module>": […], "page_context": {…}}`, a bare JSON array, or NDJSON
 * text (one record per line). Accepts parsed JSON or the response text. Throws ListResponseError otherwise,
 * and for API error bodies. Records are returned unvalidated: pass them to validateRecords.
 */
export function parseListPage(body: unknown, options: ListOptions = {}): ListPage {
  if (typeof body === 'string') return parseListText(body, options);
  if (Array.isArray(body)) return { format: 'array', records: body, hasMore: false };
  if (isObject(body)) {
    if (body.status === 'error') throw apiError('CRM', body.code, body.message);
    if ('data' in body) return parseCrmList(body);
    if ('code' in body) return parseBooksList(body, options);
  }
  throw new ListResponseError(
    `not a list response: expected a CRM {"data": [...]} or Books {"code": 0, "<module>": [...]} object, a JSON array or NDJSON, got ${typeName(body)}`,
  );
}

/** The records of one list page; see parseListPage. */
export function parseListResponse(body: unknown, options: ListOptions = {}): unknown[] {
  return parseListPage(body, options).records;
}

function parseListText(text: string, options: ListOptions): ListPage {
  if (text.trim() === '') return { format: 'ndjson', records: [], hasMore: false };
  let whole: unknown;
  let parsedWhole = false;
  try {
    whole = JSON.parse(text);
    parsedWhole = true;
  } catch {
    // Not one JSON document: NDJSON is the other accepted form.
  }
  if (parsedWhole && (Array.isArray(whole) || (isObject(whole) && isEnvelope(whole)))) {
    return parseListPage(whole, options);
  }
  const records: unknown[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch (err) {
      throw new ListResponseError(
        `neither a JSON list response nor NDJSON: line ${index + 1} is not JSON (${(err as Error).message})`,
      );
    }
    if (!isObject(record)) {
      throw new ListResponseError(
        `NDJSON line ${index + 1} is ${typeName(record)}, expected one record object`,
      );
    }
    records.push(record);
  });
  return { format: 'ndjson', records, hasMore: false };
}

function isEnvelope(value: Record<string, unknown>): boolean {
  return 'data' in value || 'code' in value || value.status === 'error';
}

function apiError(system: string, code: unknown, message: unknown): ListResponseError {
  return new ListResponseError(
    `${system} API error ${JSON.stringify(code)}: ${typeof message === 'string' ? message : 'no message'}`,
  );
}

function parseCrmList(body: Record<string, unknown>): ListPage {
  if (!Array.isArray(body.data)) {
    throw new ListResponseError(`CRM list response: "data" must be an array, got ${typeName(body.data)}`);
  }
  const info = isObject(body.info) ? body.info : {};
  const page: ListPage = { format: 'crm', records: body.data, hasMore: info.more_records === true };
  if (typeof info.page === 'number') page.page = info.page;
  return page;
}

function parseBooksList(body: Record<string, unknown>, options: ListOptions): ListPage {
  if (body.code !== 0) throw apiError('Books', body.code, body.message);
  const arrayKeys = Object.keys(body).filter((key) => Array.isArray(body[key]));
  let key = options.booksKey;
  if (key === undefined) {
    if (arrayKeys.length !== 1) {
      throw new ListResponseError(
        arrayKeys.length === 0
          ? 'Books list response holds no array of records'
          : `Books list response holds several arrays (${arrayKeys.join(', ')}): say which with booksKey`,
      );
    }
    key = arrayKeys[0] as string;
  }
  const records = body[key];
  if (!Array.isArray(records)) {
    throw new ListResponseError(
      `Books list response has no "${key}" array (arrays found: ${arrayKeys.join(', ') || 'none'})`,
    );
  }
  const context = isObject(body.page_context) ? body.page_context : {};
  const page: ListPage = { format: 'books', records, hasMore: context.has_more_page === true };
  if (typeof context.page === 'number') page.page = context.page;
  return page;
}
